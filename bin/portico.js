#!/usr/bin/env node
// Portico runs from its TypeScript sources with no build step: the first start compiles them into
// node_modules/.cache/portico (bin/compile.js) and every start runs that copy. Where it cannot be
// built, tsx compiles on the fly instead. An installation from the release build (`npm pack`, the
// container image) has no sources: it runs dist/, compiled by `npm run build` (bin/build.js).
import fs from "node:fs";
import v8 from "node:v8";

// V8 moves an allocation site's objects straight into the old generation once enough of them
// outlive a young collection. Under a steady load, a request's rows and JSON caught by a few such
// collections flipped those sites for good: from then on every account page went to the old
// generation, which filled in half a second, and the full collections it took were the accounts
// list's p99 (30 ms on PostgreSQL, with a third of each page's CPU spent collecting). A request's
// objects die young; without pretenuring they stay young. Set before anything is allocated: V8
// keeps a decision it already took.
v8.setFlagsFromString("--no-allocation-site-pretenuring");

if (!fs.existsSync(new URL("../src/main.ts", import.meta.url))) {
  await import("../dist/src/main.js");
} else {
  const { compiledEntry } = await import("./compile.js");
  const entry = await compiledEntry();
  if (entry) {
    await import(entry);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import("../src/main.ts");
  }
}
