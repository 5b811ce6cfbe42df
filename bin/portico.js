#!/usr/bin/env node
// Portico runs from its TypeScript sources with no build step: the first start compiles them into
// node_modules/.cache/portico (bin/compile.js) and every start runs that copy. Where it cannot be
// built, tsx compiles on the fly instead.
import { compiledEntry } from "./compile.js";

const entry = await compiledEntry();
if (entry) {
  await import(entry);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}
