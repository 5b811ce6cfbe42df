#!/usr/bin/env node
// Portico runs from its TypeScript sources with no build step: the first start compiles them into
// node_modules/.cache/portico (bin/compile.js) and every start runs that copy. Where it cannot be
// built, tsx compiles on the fly instead. An installation from the release build (`npm pack`, the
// container image) has no sources: it runs dist/, compiled by `npm run build` (bin/build.js).
import fs from "node:fs";

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
