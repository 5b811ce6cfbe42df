// Compiles Portico's TypeScript sources to JavaScript once, so a start runs plain JavaScript: tsx
// compiles in a loader thread of its own, which cost 60 to 90 MB of memory and a second of start-up
// per command. The copy lives in node_modules/.cache/portico (gone with `npm ci`) and is rebuilt
// when a source file changes. No build step for users: the first start makes it. The release build
// (`npm run build`, bin/build.js) writes the same compilation into dist/ instead.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const SRC = path.join(ROOT, "src");
const CACHE = path.join(ROOT, "node_modules", ".cache", "portico");

function sources(dir = SRC) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out.sort();
}

/** What the compiled copy was made from: every source's path, size and modification time. */
function stampOf(files, esbuildVersion) {
  const h = crypto.createHash("sha256").update(`${process.version} esbuild ${esbuildVersion}\n`);
  for (const f of files) {
    const st = fs.statSync(f);
    h.update(`${path.relative(ROOT, f)} ${st.size} ${st.mtimeMs}\n`);
  }
  return h.digest("hex");
}

/**
 * Compiles every source file of src/ into `<outdir>/src`, one JavaScript module per TypeScript
 * module (no bundle: paths.ts finds the package's root from where the code runs). Node 20 is the
 * oldest Node Portico supports, so a release build targets it whatever Node builds it.
 */
export async function compileSources(esbuild, outdir, opts = {}) {
  await esbuild.build({
    entryPoints: opts.files ?? sources(),
    outdir: path.join(outdir, "src"),
    outbase: SRC,
    format: "esm",
    platform: "node",
    target: opts.target ?? `node${process.versions.node.split(".")[0]}`,
    sourcemap: opts.sourcemap ?? "linked",
    logLevel: "silent",
  });
}

/**
 * The compiled entry point (src/main.js in the cache), built first if missing or stale; null when
 * it cannot be built here (no esbuild, a read-only clone), and the caller falls back to tsx.
 *
 * Each version of the sources gets a folder named by its stamp that is written once, by renaming
 * a finished build into place, and never changed: starts racing each other (a test suite, several
 * workers) all end up running one complete copy, and none pulls files from under another.
 */
export async function compiledEntry() {
  if (process.env.PORTICO_NO_COMPILE === "1") return null;
  try {
    const esbuild = await import("esbuild");
    const files = sources();
    const stamp = stampOf(files, esbuild.version).slice(0, 16);
    const dir = path.join(CACHE, stamp);
    const entry = path.join(dir, "src", "main.js");
    if (fs.existsSync(entry)) return entry;

    const tmp = path.join(CACHE, `.tmp-${process.pid}-${Date.now()}`);
    await compileSources(esbuild, tmp, { files });
    // The build runs in an esbuild service process, which would otherwise live as long as Portico.
    await esbuild.stop();
    try {
      fs.renameSync(tmp, dir);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another start put the same build in place
    }
    if (!fs.existsSync(entry)) return null;
    // Copies of sources edited since (a developer's tree) go after an hour, when nothing still
    // starts from them.
    for (const other of fs.readdirSync(CACHE)) {
      const p = path.join(CACHE, other);
      if (other !== stamp && Date.now() - fs.statSync(p).mtimeMs > 3_600_000)
        fs.rmSync(p, { recursive: true, force: true });
    }
    return entry;
  } catch (err) {
    if (process.env.PORTICO_DEBUG_COMPILE === "1") console.error(err);
    return null;
  }
}
