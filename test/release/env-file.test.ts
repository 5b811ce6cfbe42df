import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { BIN, freePort } from "../helpers/processes.js";
import { cleanEnv, run, type Started, start, waitFor, waitReady } from "../helpers/release.js";

/**
 * A `.env` file as a user keeps one beside their Portico: `serve` and every CLI command run in
 * that folder read the same settings, with nothing in the environment, so the CLI finds the
 * server's database and prints the server's links.
 */

const dirs: string[] = [];
const servers: Started[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const s of servers) s.child.kill("SIGKILL");
  for (const d of databases) await d.drop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function workdir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-env-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

/** `portico <args>` in `cwd`, with a clean environment plus `env`. */
const cli = (cwd: string, args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(env) });

const KEY = Buffer.alloc(32, 3).toString("base64");

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`a .env file on ${dialect}`, () => {
    it("is read by serve and by the CLI in the same folder: one database, the server's links", async () => {
      const db = await createTestDatabase(dialect);
      databases.push(db);
      const port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      const dir = workdir({
        ".env": [
          "# Portico's settings for this folder",
          `PORTICO_PORT=${port}`,
          `PORTICO_PUBLIC_URL=${publicUrl}`,
          // On SQLite, the default database in the data directory, relative to this folder.
          dialect === "sqlite" ? "" : `PORTICO_DATABASE_URL="${db.url}"`,
          "PORTICO_DATA_DIR=./state",
          `PORTICO_ENCRYPTION_KEYS=k1:${KEY}`,
          "PORTICO_DATABASE_POOL_SIZE=3",
          "PORTICO_SHUTDOWN_DRAIN_MS=100",
          "POSTGRES_PASSWORD=left-to-compose",
          "",
        ].join("\n"),
      });
      const server = start(process.execPath, [BIN, "serve"], { cwd: dir, env: cleanEnv() });
      servers.push(server);
      await waitReady(`${publicUrl}/readyz`, server);
      await waitFor(server, "Portico listening");
      expect(server.output()).toContain(`${publicUrl}/connect_sessions`);
      expect(server.output()).toContain(dialect === "sqlite" ? "sqlite" : "postgres");

      // The CLI, run in the same folder with nothing in the environment, works on the server's
      // database and prints links on its public URL.
      const session = await cli(dir, [
        "sessions",
        "create",
        "--origin-owner-id",
        "env-owner",
        "--origin-owner-name",
        "Env Inc",
        "--json",
      ]);
      expect(session.code, session.stderr).toBe(0);
      const created = JSON.parse(session.stdout) as { token: string; auth_link_url: string };
      expect(created.auth_link_url.startsWith(`${publicUrl}/`)).toBe(true);
      // The server knows the session the CLI made: same database.
      expect((await fetch(created.auth_link_url)).status).toBe(200);

      const link = await cli(dir, ["console", "link", "--json"]);
      expect(link.code, link.stderr).toBe(0);
      const signIn = (JSON.parse(link.stdout) as { url: string }).url;
      expect(signIn.startsWith(`${publicUrl}/console/`)).toBe(true);
      expect((await fetch(signIn)).status).toBe(200);

      // The environment wins over the file.
      const other = await cli(
        dir,
        ["sessions", "create", "--origin-owner-id", "env-owner", "--origin-owner-name", "Env Inc", "--json"],
        { PORTICO_PUBLIC_URL: "https://connect.example.com" },
      );
      expect(JSON.parse(other.stdout).auth_link_url).toMatch(/^https:\/\/connect\.example\.com\//);

      if (dialect === "sqlite") expect(fs.existsSync(path.join(dir, "state", "portico.db"))).toBe(true);
      // The keyring came from the file: no keyring file was generated.
      expect(fs.existsSync(path.join(dir, "state", "keyring"))).toBe(false);

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    });
  });
}

describe("PORTICO_ENV_FILE and portico config", () => {
  it("reads the file PORTICO_ENV_FILE names, and shows each setting's value and source, secrets masked", async () => {
    const conf = workdir({
      "portico.env": [
        "PORTICO_PORT=4321",
        "PORTICO_DATABASE_URL=postgres://portico:hunter2@db.internal:5432/portico",
        `PORTICO_ENCRYPTION_KEYS=k1:${KEY}`,
        "",
      ].join("\n"),
    });
    const elsewhere = workdir({ ".env": "PORTICO_PORT=1111\n" });
    const file = path.join(conf, "portico.env");
    const env = { PORTICO_ENV_FILE: file, PORTICO_LOG_LEVEL: "warn" };

    const human = await cli(elsewhere, ["config"], env);
    expect(human.code, human.stderr).toBe(0);
    const row = (name: string) => human.stdout.split("\n").find((l) => l.startsWith(`${name} `)) ?? "";
    expect(human.stdout).toContain(`env file: ${file}`);
    expect(row("PORTICO_PORT")).toMatch(/4321\s+.*portico\.env:1$/);
    expect(row("PORTICO_DATABASE_URL")).toMatch(
      /postgres:\/\/portico:\*{8}@db\.internal:5432\/portico\s+.*:2$/,
    );
    expect(row("PORTICO_ENCRYPTION_KEYS")).toMatch(/k1:\*{8}\s/);
    expect(row("PORTICO_LOG_LEVEL")).toMatch(/warn\s+environment$/);
    expect(row("PORTICO_PUBLIC_URL")).toMatch(/http:\/\/localhost:4321\s+default$/);
    expect(human.stdout).not.toContain("hunter2");
    expect(human.stdout).not.toContain(KEY);

    const json = await cli(elsewhere, ["config", "--json"], env);
    const parsed = JSON.parse(json.stdout) as {
      env_file: string;
      settings: Record<
        string,
        { value: string; source: string; file?: string; line?: number; masked?: boolean }
      >;
    };
    expect(parsed.env_file).toBe(file);
    expect(parsed.settings.PORTICO_PORT).toEqual({ value: "4321", source: "file", file, line: 1 });
    expect(parsed.settings.PORTICO_DATABASE_URL).toMatchObject({ source: "file", line: 2, masked: true });
    expect(parsed.settings.PORTICO_LOG_LEVEL).toEqual({ value: "warn", source: "environment" });
    expect(parsed.settings.PORTICO_SANDBOX).toEqual({ value: "true", source: "default" });
    expect(json.stdout).not.toContain("hunter2");

    // Without PORTICO_ENV_FILE, the folder's own .env.
    const local = JSON.parse((await cli(elsewhere, ["config", "--json"])).stdout);
    expect(local.settings.PORTICO_PORT).toMatchObject({ value: "1111", source: "file", line: 1 });
  });

  it("prints plain text into a pipe even where CI is set, as on CI runners, and colours with FORCE_COLOR", async () => {
    const dir = workdir({});
    const env = (extra: Record<string, string>) => {
      const e = cleanEnv({ PORTICO_ENV_FILE: "", CI: "true", ...extra });
      if (!("FORCE_COLOR" in extra)) delete e.FORCE_COLOR;
      delete e.NO_COLOR;
      return e;
    };
    const plain = await run(process.execPath, [BIN, "config"], { cwd: dir, env: env({}) });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^PORTICO_PORT\s+4000\s+default$/m);
    expect(plain.stdout).not.toContain("\x1b[");
    const coloured = await run(process.execPath, [BIN, "config"], {
      cwd: dir,
      env: env({ FORCE_COLOR: "1" }),
    });
    expect(coloured.stdout).toContain("\x1b[2mdefault\x1b[22m");
  });

  it("refuses a bad file at once, naming the file and line, in every command", async () => {
    const dir = workdir({
      ".env": "PORTICO_PORT=4100\nPORTICO_SANBOX=false\n",
      "bad-value.env": "PORTICO_PORT=x\n",
    });
    for (const args of [["config"], ["serve"], ["projects", "list"]]) {
      const r = await cli(dir, args);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${path.join(dir, ".env")}:2: PORTICO_SANBOX is not a Portico setting`);
    }
    const bad = await cli(dir, ["serve"], { PORTICO_ENV_FILE: "bad-value.env" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      `PORTICO_PORT: must be an integer between 0 and 65535 (${path.join(dir, "bad-value.env")}:1)`,
    );
    const missing = await cli(dir, ["config"], { PORTICO_ENV_FILE: "nope.env" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`PORTICO_ENV_FILE: cannot read ${path.join(dir, "nope.env")} (ENOENT)`);
  });

  it("prints the version with --version", async () => {
    const dir = workdir({});
    for (const flag of ["--version", "-V"]) {
      const r = await cli(dir, [flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(VERSION);
    }
    expect(VERSION).toBe(
      JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "../../package.json"), "utf8")).version,
    );
  });
});
