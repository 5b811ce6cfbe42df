import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composePorticoEnv } from "../helpers/compose.js";
import { createTestDatabase, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import {
  baseImage,
  buildImage,
  Container,
  type ImageConfig,
  imageConfig,
  imageTestsAvailable,
  missingForImage,
} from "../helpers/image.js";
import { freePort } from "../helpers/processes.js";
import {
  cmdline,
  descendants,
  expectAccount,
  expectConsole,
  quickStart,
  run,
  type Started,
  uidOf,
  waitFor,
  waitReady,
} from "../helpers/release.js";

/**
 * The container image, built from the Dockerfile as docs/deployment.md says and run as a
 * container runtime would run it (see test/helpers/image.ts for how, on a machine without a
 * registry or a working `podman run`).
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const missing = missingForImage();

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
};

let tag: string;
let config: ImageConfig;
const containers: Container[] = [];
const running: Started[] = [];
const dirs: string[] = [];
const databases: TestDatabase[] = [];

/** The image's own command: its entrypoint and default arguments. */
const command = () => [...config.Entrypoint, ...config.Cmd];

/**
 * Runs the image's command in the container, as the image's user with the image's environment
 * (buildah applies it) plus the given variables; resolves once /readyz answers 200.
 */
async function serve(c: Container, env: Record<string, string>, mounts: string[] = []) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = c.start(command(), {
    user: config.User,
    env: { PORTICO_PORT: String(port), PORTICO_PUBLIC_URL: url, ...env },
    mounts,
  });
  running.push(p);
  await waitReady(`${url}/readyz`, p, 120_000);
  await waitFor(p, "Portico listening");
  // The image's process, below `buildah run` (which forwards no signal).
  // (The runtime resolves `node` on the image's PATH.)
  const [program, ...args] = command();
  const pid = descendants(p.child.pid!).find((d) => {
    const [ran, ...rest] = cmdline(d);
    return path.basename(ran ?? "") === program && rest.join(" ") === args.join(" ");
  });
  expect(pid, `no ${command().join(" ")} below buildah run ${p.child.pid}`).toBeTruthy();
  return { p, url, port, pid: pid! };
}

describe.skipIf(!imageTestsAvailable())("the container image", () => {
  beforeAll(async () => {
    if (missing.length) throw new Error(`missing: ${missing.join(", ")}`);
    const base = await baseImage();
    tag = `localhost/portico-test:${randomBytes(4).toString("hex")}`;
    await buildImage(ROOT, base, tag);
    config = await imageConfig(tag);
  }, 2_400_000);

  afterAll(async () => {
    for (const p of running) p.child.kill("SIGKILL");
    for (const c of containers) await c.rm();
    if (tag) await run("buildah", ["rmi", tag]);
    for (const d of databases) await d.drop().catch(() => {});
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it("runs Portico as a non-root user on 0.0.0.0:4000, data in /data, with a HEALTHCHECK on /readyz", async () => {
    expect(config.User).toBe("portico");
    expect(config.Env).toEqual(
      expect.arrayContaining(["PORTICO_HOST=0.0.0.0", "PORTICO_PORT=4000", "PORTICO_DATA_DIR=/data"]),
    );
    expect(Object.keys(config.Volumes)).toEqual(["/data"]);
    expect(Object.keys(config.ExposedPorts)).toEqual(["4000/tcp"]);
    expect(config.Healthcheck.Test).toEqual(["CMD", "node", "/app/bin/healthcheck.js"]);
    expect(fs.readFileSync(path.join(ROOT, "bin", "healthcheck.js"), "utf8")).toContain("/readyz");
    expect(config.Entrypoint).toEqual(["node", "/app/bin/portico.js"]);
    expect(config.Cmd).toEqual(["serve"]);
    expect(config.StopSignal).toBe("SIGTERM");

    const c = await Container.from(tag);
    containers.push(c);
    const id = await c.exec(["id", "-u"], { user: config.User });
    expect(Number(id.stdout.trim())).toBeGreaterThan(0);
    // The final stage: the release build and production dependencies, no sources, no build tools.
    const listing = await c.exec([
      "sh",
      "-c",
      "ls /app /app/node_modules; ls -d /build /app/src/*.ts 2>&1 || true",
    ]);
    expect(listing.stdout).toMatch(/^dist$/m);
    for (const dev of [...Object.keys(pkg.devDependencies), "esbuild", "tsx", "typescript"])
      expect(listing.stdout.split("\n"), dev).not.toContain(dev);
    expect(listing.stdout).toMatch(/ls: cannot access '\/build'/);
    expect(listing.stdout).toMatch(/ls: cannot access '\/app\/src\/\*\.ts'/);
    // The code is root's: the process can write to /data only.
    const write = await c.exec(["sh", "-c", "touch /app/x || touch /x"], { user: config.User });
    expect(write.code).not.toBe(0);
    const data = await c.exec(["sh", "-c", "touch /data/x && rm /data/x"], { user: config.User });
    expect(data.code, data.stderr).toBe(0);
  });

  it("starts, runs the quick start, stops on SIGTERM within the shutdown timeout, and keeps its data across a restart", async () => {
    const c = await Container.from(tag);
    containers.push(c);
    // A mark in time for what the run writes outside /data.
    await c.exec(["touch", "/tmp/.portico-test-mark"]);
    const timeoutMs = 10_000;
    const env = { PORTICO_SHUTDOWN_DRAIN_MS: "1500", PORTICO_SHUTDOWN_TIMEOUT_MS: String(timeoutMs) };

    const first = await serve(c, env);
    expect(uidOf(first.pid)).toBe(Number((await c.exec(["id", "-u", config.User])).stdout.trim()));
    expect(uidOf(first.pid)).not.toBe(0);
    // Listening on every interface, as the image says.
    expect(first.p.output()).toContain('"address":"http://127.0.0.1:');
    expect(fs.readFileSync(`/proc/${first.pid}/environ`, "utf8").split("\0")).toContain(
      "PORTICO_HOST=0.0.0.0",
    );

    // The image's HEALTHCHECK command, run in the container as Docker would.
    const health = await c.exec(config.Healthcheck.Test.slice(1), {
      user: config.User,
      env: { PORTICO_PORT: String(first.port) },
    });
    expect(health.code).toBe(0);

    const { apiKey, accountId } = await quickStart(first.url, first.p.output());
    await expectConsole(first.url, first.p.output());

    // SIGTERM to the image's process: /readyz turns 503 while it drains, then it exits 0, in time.
    const t0 = Date.now();
    process.kill(first.pid, "SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(`${first.url}/readyz`)).status).toBe(503);
    expect(await first.p.exited).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1500);
    expect(took).toBeLessThan(timeoutMs);
    expect(first.p.output()).toContain('"msg":"shutting down"');
    const stopped = await c.exec(config.Healthcheck.Test.slice(1), {
      user: config.User,
      env: { PORTICO_PORT: String(first.port) },
    });
    expect(stopped.code).toBe(1);

    // Started again on the same volume: no new database, the same key and account.
    const second = await serve(c, env);
    expect(second.p.output()).not.toContain("Portico initialized a new database.");
    await expectAccount(second.url, apiKey, accountId);
    process.kill(second.pid, "SIGTERM");
    expect(await second.p.exited).toBe(0);

    // Nothing was written outside /data: the root filesystem can be read-only.
    const written = await c.exec(
      [
        "find",
        "/",
        "-xdev",
        "(",
        "-path",
        "/proc",
        "-o",
        "-path",
        "/sys",
        "-o",
        "-path",
        "/dev",
        "-o",
        "-path",
        "/data",
        ")",
        "-prune",
        "-o",
        "-newer",
        "/tmp/.portico-test-mark",
        "-print",
      ],
      { user: "0:0" },
    );
    expect(written.code, written.stderr).toBe(0);
    // (The runtime's own files, which Docker mounts over a read-only root as well.)
    const runtime = ["/etc/hosts", "/etc/resolv.conf", "/etc/hostname", "/run", "/run/.containerenv"];
    expect(written.stdout.split("\n").filter((f) => f && !runtime.includes(f))).toEqual([]);
  });

  describe.skipIf(!dialectAvailable("postgres"))("with compose.yaml's settings", () => {
    it("runs the quick start on PostgreSQL, the keyring from a secret file", async () => {
      const db = await createTestDatabase("postgres");
      databases.push(db);
      const secrets = fs.mkdtempSync(path.join(os.tmpdir(), "portico-secrets-"));
      dirs.push(secrets);
      const keyring = path.join(secrets, "portico_keyring");
      fs.writeFileSync(keyring, `k1:${randomBytes(32).toString("base64")}\n`, { mode: 0o444 });
      fs.chmodSync(secrets, 0o755);
      // compose.yaml's environment for Portico, with the database at this test's schema (compose
      // reaches it at the postgres service) and the keyring mounted as Compose mounts a secret.
      // Its public URL is the published port's, http://localhost:4000: here the test's own port.
      const { PORTICO_PUBLIC_URL: _published, ...composed } = composePorticoEnv({
        PORTICO_ENCRYPTION_KEYS_FILE: "/run/secrets/portico_keyring",
      });
      const env = { ...composed, PORTICO_DATABASE_URL: db.url, PORTICO_SHUTDOWN_DRAIN_MS: "100" };
      const c = await Container.from(tag);
      containers.push(c);
      const s = await serve(c, env, [`${keyring}:/run/secrets/portico_keyring:ro`]);
      expect(s.p.output()).toContain('"database":"postgres ');
      await quickStart(s.url, s.p.output());
      process.kill(s.pid, "SIGTERM");
      expect(await s.p.exited).toBe(0);
      // The keyring came from the secret: none was generated into the volume.
      expect((await c.exec(["test", "-e", "/data/keyring"])).code).toBe(1);
    });
  });
});
