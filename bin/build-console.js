#!/usr/bin/env node
// Builds the operator console's browser assets (console/: TypeScript and CSS) into one script and
// one stylesheet with esbuild, the project's own build tool: no CDN, no external fonts. The output
// lives in node_modules/.cache/portico-console/<hash of the sources>/ and is made on the first
// start, then reused until a source changes. Never committed. The release build (`npm run build`,
// bin/build.js) writes the same bundle into dist/console/.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const ROOT = path.resolve(import.meta.dirname, "..");
const SRC = path.join(ROOT, "console");
const CACHE = path.join(ROOT, "node_modules", ".cache", "portico-console");

function files(dir = SRC) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out.sort();
}

/** A digest of every console source's path and content, and of the esbuild version. */
function stampOf(sources, esbuildVersion) {
  const h = crypto.createHash("sha256").update(`esbuild ${esbuildVersion}\n`);
  for (const f of sources) h.update(`${path.relative(ROOT, f)}\n`).update(fs.readFileSync(f));
  return h.digest("hex").slice(0, 16);
}

/**
 * Bundles the console into `outdir`: one script, one stylesheet (hashed names) and manifest.json
 * naming them, which is what the server reads.
 */
export async function bundleConsole(esbuild, outdir) {
  const result = await esbuild.build({
    entryPoints: { app: path.join(SRC, "src", "main.ts") },
    bundle: true,
    format: "esm",
    target: ["chrome110", "firefox110", "safari16"],
    minify: true,
    outdir,
    entryNames: "[name]-[hash]",
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const out = Object.keys(result.metafile.outputs).map((p) => path.basename(p));
  const names = { js: out.find((f) => f.endsWith(".js")), css: out.find((f) => f.endsWith(".css")) };
  if (!names.js || !names.css) throw new Error(`console build made ${out.join(", ")}`);
  fs.writeFileSync(path.join(outdir, "manifest.json"), JSON.stringify(names));
  return names;
}

/**
 * The built console: `{ dir, js, css }` (file names inside dir), built first when missing. Each
 * version of the sources is written once into a temporary folder and renamed into place, so
 * processes starting together never read a half-written build.
 */
export async function buildConsole() {
  const esbuild = await import("esbuild");
  const stamp = stampOf(files(), esbuild.version);
  const dir = path.join(CACHE, stamp);
  const manifest = path.join(dir, "manifest.json");
  if (fs.existsSync(manifest)) return { dir, ...JSON.parse(fs.readFileSync(manifest, "utf8")) };

  const tmp = path.join(CACHE, `.tmp-${process.pid}-${Date.now()}`);
  try {
    await bundleConsole(esbuild, tmp);
  } finally {
    // The build runs in an esbuild service process, which would otherwise live as long as Portico.
    await esbuild.stop();
  }
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true }); // another process put the same build in place
  }
  for (const other of fs.readdirSync(CACHE)) {
    const p = path.join(CACHE, other);
    if (other !== stamp && Date.now() - fs.statSync(p).mtimeMs > 3_600_000)
      fs.rmSync(p, { recursive: true, force: true });
  }
  return { dir, ...JSON.parse(fs.readFileSync(manifest, "utf8")) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const built = await buildConsole();
  console.log(`console assets: ${path.relative(ROOT, built.dir)} (${built.js}, ${built.css})`);
}
