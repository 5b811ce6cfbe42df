import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/processes.js";
import {
  cleanEnv,
  expectConsole,
  must,
  quickStart,
  run,
  type Started,
  start,
  uidOf,
  waitFor,
  waitReady,
} from "../helpers/release.js";

/**
 * The release build as a user gets it: `npm pack` of the clone, the tarball installed into an
 * empty folder with production dependencies only, the folder made read-only, and the quick start
 * run from it. As root (CI), Portico runs as `nobody`, so the read-only folder really is one.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let base: string;
let tarball: string;
let app: string;
const servers: Started[] = [];

/** npm's own variables of an `npm test` run would steer the nested npm; a user's shell has none. */
const npmEnv = () => Object.fromEntries(Object.entries(cleanEnv()).filter(([k]) => !/^npm_/i.test(k)));

/** Every file under dir with its size and modification time: to prove nothing was written there. */
function snapshot(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .map((f) => {
      const st = fs.lstatSync(path.join(dir, f));
      return `${f} ${st.size} ${st.mtimeMs}`;
    })
    .sort();
}

beforeAll(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), "portico-pack-"));
  // A clone's files: what git tracks (as in this working tree) and what it would track.
  const clone = path.join(base, "clone");
  const files = (
    await must("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT })
  )
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(clone, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(clone, f));
  }
  // `npm ci` of the clone, shared: the build (prepack) needs its dev dependencies.
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(clone, "node_modules"));
  const out = path.join(base, "out");
  fs.mkdirSync(out);
  await must("npm", ["pack", "--pack-destination", out], { cwd: clone, env: npmEnv() });
  tarball = path.join(out, `portico-${pkg.version}.tgz`);

  app = path.join(base, "app");
  fs.mkdirSync(app);
  await must("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", tarball], {
    cwd: app,
    env: npmEnv(),
    timeoutMs: 900_000,
  });
  // Read-only for everyone (and readable by nobody, who runs Portico below).
  fs.chmodSync(base, 0o755);
  await must("chmod", ["-R", "a+rX,a-w", app]);
}, 1_200_000);

afterAll(async () => {
  for (const s of servers) s.child.kill("SIGKILL");
  if (base) {
    await run("chmod", ["-R", "u+w", base]);
    fs.rmSync(base, { recursive: true, force: true });
  }
});

describe("npm pack", () => {
  it("ships the release build, the catalog and the license, and no sources or tests", async () => {
    const listed = (await must("tar", ["-tzf", tarball])).split("\n").map((f) => f.replace(/^package\//, ""));
    for (const f of [
      "package.json",
      "LICENSE",
      "CHANGELOG.md",
      "README.md",
      "bin/portico.js",
      "bin/healthcheck.js",
      "dist/src/main.js",
      "dist/console/manifest.json",
      "catalog/asana.yaml",
      "src/hub/assets/page.js",
      "src/sandbox/logos/sandbox-hris.svg",
    ])
      expect(listed, f).toContain(f);
    expect(listed.filter((f) => f.endsWith(".ts"))).toEqual([]);
    expect(listed.filter((f) => /^(test|bench|console|examples|docs)\//.test(f) || f === "pid")).toEqual([]);
  });

  it("installs with production dependencies only: no compiler, no dev dependency", () => {
    const modules = path.join(app, "node_modules");
    expect(fs.existsSync(path.join(modules, "portico", "dist", "src", "main.js"))).toBe(true);
    for (const dev of [...Object.keys(pkg.devDependencies), "esbuild", "tsx", "typescript"])
      expect(fs.existsSync(path.join(modules, dev)), dev).toBe(false);
    // better-sqlite3's native module is built (or fetched) at install.
    expect(
      fs.existsSync(path.join(modules, "better-sqlite3", "build", "Release", "better_sqlite3.node")),
    ).toBe(true);
  });

  it("runs the quick start from the read-only installation, writing only its data directory", async () => {
    const before = snapshot(app);
    const work = fs.mkdtempSync(path.join(base, "work-"));
    if (asRoot) fs.chownSync(work, NOBODY, NOBODY);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const portico = path.join(app, "node_modules", ".bin", "portico");
    const as = (args: string[]): [string, string[]] =>
      asRoot
        ? ["setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", ...args]]
        : [args[0]!, args.slice(1)];

    const version = await run(...as([portico, "--version"]), { cwd: work, env: cleanEnv() });
    expect(version.stdout.trim()).toBe(pkg.version);

    const server = start(...as([portico, "serve"]), {
      cwd: work,
      env: cleanEnv({
        PORTICO_PORT: String(port),
        PORTICO_PUBLIC_URL: url,
        PORTICO_SHUTDOWN_DRAIN_MS: "100",
      }),
    });
    servers.push(server);
    await waitReady(`${url}/readyz`, server);
    await waitFor(server, "Portico listening");
    if (asRoot) expect(uidOf(server.child.pid!)).toBe(NOBODY);
    // A release installation runs dist/ (no compiling at start) and says how to run the CLI.
    expect(server.output()).toContain("(later: portico console link;");

    await quickStart(url, server.output());
    await expectConsole(url, server.output());

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(fs.existsSync(path.join(work, "data", "portico.db"))).toBe(true);
    expect(fs.existsSync(path.join(work, "data", "keyring"))).toBe(true);
    expect(snapshot(app)).toEqual(before);
  });
});
