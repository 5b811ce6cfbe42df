#!/usr/bin/env node
// The release build (`npm run build`): the server's TypeScript compiled to dist/src/ and the
// operator console bundled into dist/console/, so an installation runs with production
// dependencies only (no esbuild, no tsx, no TypeScript) and writes nothing into its own folder.
// `npm pack` runs it (the `prepack` script) and ships dist/ without the sources. A clone's own
// start never uses dist/: it runs its sources (bin/compile.js), so a stale build cannot shadow them.
import fs from "node:fs";
import path from "node:path";
import { bundleConsole } from "./build-console.js";
import { compileSources } from "./compile.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const DIST = path.join(ROOT, "dist");
const tmp = path.join(ROOT, `.dist-${process.pid}`);

const esbuild = await import("esbuild");
try {
  fs.rmSync(tmp, { recursive: true, force: true });
  // The oldest Node Portico supports, whatever Node runs the build; no source maps (the sources
  // are not shipped).
  await compileSources(esbuild, tmp, { target: "node20", sourcemap: false });
  const names = await bundleConsole(esbuild, path.join(tmp, "console"));
  fs.rmSync(DIST, { recursive: true, force: true });
  fs.renameSync(tmp, DIST);
  const count = fs.readdirSync(path.join(DIST, "src"), { recursive: true }).filter((f) => f.endsWith(".js"));
  console.log(`dist/src: ${count.length} modules; dist/console: ${names.js}, ${names.css}`);
} finally {
  await esbuild.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
