import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { PG_URL } from "../helpers/env.js";
import { BIN, freePort } from "../helpers/processes.js";
import {
  cleanEnv,
  expectAccount,
  must,
  quickStart,
  run,
  type Started,
  start,
  waitFor,
  waitReady,
} from "../helpers/release.js";
import { basic } from "../helpers/test-server.js";

/**
 * Backups as docs/operations.md tells operators to make and restore them: `portico backup` of a
 * running SQLite Portico restored into a fresh data directory with its keyring, and pg_dump and
 * pg_restore on PostgreSQL. Either way the restored Portico reads the linked account's
 * credentials (through the proxy), which only works with the keyring that wrote them.
 */

const dirs: string[] = [];
const servers: Started[] = [];
const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const s of servers) s.child.kill("SIGKILL");
  for (const d of databases) await d.drop().catch(() => {});
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const tmp = (name: string) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `portico-${name}-`));
  dirs.push(d);
  return d;
};

/** `portico serve` with these settings (and nothing else from the environment), once ready. */
async function serve(env: Record<string, string>) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const p = start(process.execPath, [BIN, "serve"], {
    env: cleanEnv({
      PORTICO_ENV_FILE: "",
      PORTICO_PORT: String(port),
      PORTICO_PUBLIC_URL: url,
      PORTICO_SHUTDOWN_DRAIN_MS: "100",
      PORTICO_DATABASE_POOL_SIZE: "3",
      ...env,
    }),
  });
  servers.push(p);
  await waitReady(`${url}/readyz`, p);
  await waitFor(p, "Portico listening");
  const stop = async () => {
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  };
  return { p, url, stop };
}

const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [BIN, ...args], { env: cleanEnv({ PORTICO_ENV_FILE: "", ...env }) });

describe("portico backup on SQLite", () => {
  it("copies a running database consistently; restored with its keyring, it reads the account", async () => {
    const data = tmp("data");
    const a = await serve({ PORTICO_DATA_DIR: data });
    const { apiKey, accountId } = await quickStart(a.url, a.p.output());

    // Writes go on while the backup runs: sessions, and their request log lines.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        const r = await fetch(`${a.url}/connect_sessions`, {
          method: "POST",
          headers: { authorization: basic(apiKey), "content-type": "application/json" },
          body: JSON.stringify({ origin_owner_id: `busy-${written}`, origin_owner_name: "Busy" }),
        });
        expect(r.status).toBe(201);
        written++;
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const file = path.join(tmp("backups"), "nightly", "portico.db");
    const backup = await cli(["backup", file, "--json"], { PORTICO_DATA_DIR: data });
    writing = false;
    await writer;
    expect(backup.code, backup.stderr).toBe(0);
    expect(written).toBeGreaterThan(0);
    const result = JSON.parse(backup.stdout);
    expect(result).toMatchObject({
      file,
      database: path.join(data, "portico.db"),
      keyring: { kind: "file", file: path.join(data, "keyring") },
    });
    expect(result.keyring.key_ids).toHaveLength(1);
    expect(result.bytes).toBe(fs.statSync(file).size);
    // One self-contained file, for the operator only; nothing left beside it.
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["portico.db"]);

    // The human answer names the keyring as the other thing to keep.
    const again = await cli(["backup", `${file}.2`], { PORTICO_DATA_DIR: data });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`Keep the keyring too: ${path.join(data, "keyring")}`);
    // An existing backup is not replaced by accident.
    const refused = await cli(["backup", file], { PORTICO_DATA_DIR: data });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${file} exists: choose another name, or pass --force to replace it`);
    expect((await cli(["backup", file, "--force"], { PORTICO_DATA_DIR: data })).code).toBe(0);
    await a.stop();

    // Restore: the backup as the database of a fresh data directory, with the keyring beside it.
    const restored = tmp("restored");
    fs.copyFileSync(file, path.join(restored, "portico.db"));
    fs.copyFileSync(path.join(data, "keyring"), path.join(restored, "keyring"));
    const b = await serve({ PORTICO_DATA_DIR: restored });
    expect(b.p.output()).not.toContain("Portico initialized a new database.");
    await expectAccount(b.url, apiKey, accountId);
    await b.stop();

    // Without its keyring the backup's credentials cannot be read: Portico refuses to start.
    const keyless = tmp("keyless");
    fs.copyFileSync(file, path.join(keyless, "portico.db"));
    const r = await cli(["serve"], { PORTICO_DATA_DIR: keyless, PORTICO_PORT: String(await freePort()) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The encryption keyring cannot read this database");
  });

  it("points to pg_dump on PostgreSQL, and refuses a database that is not there", async () => {
    const pg = await cli(["backup", path.join(tmp("pg"), "x.db")], {
      PORTICO_DATABASE_URL: "postgres://portico@127.0.0.1:1/portico",
    });
    expect(pg.code).toBe(1);
    expect(pg.stderr).toContain("this one is on PostgreSQL: back it up with pg_dump");
    const none = await cli(["backup", path.join(tmp("none"), "x.db")], { PORTICO_DATA_DIR: tmp("empty") });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no database at \S+portico\.db/);
  });
});

const PG_DUMP = "/usr/bin/pg_dump";
describe.skipIf(!dialectAvailable("postgres") || !fs.existsSync(PG_DUMP))(
  "pg_dump and pg_restore on PostgreSQL",
  () => {
    it("restores a dump taken while Portico runs; with the same keyring, it reads the account", async () => {
      const db = await createTestDatabase("postgres");
      databases.push(db);
      const schema = new URL(db.url).searchParams.get("options")!.split("=")[1]!;
      const data = tmp("pg-data");
      const env = { PORTICO_DATABASE_URL: db.url, PORTICO_DATA_DIR: data };
      const a = await serve(env);
      const { apiKey, accountId } = await quickStart(a.url, a.p.output());
      const dump = path.join(tmp("pg-dump"), "portico.dump");
      // As docs/operations.md says, limited to the test's own schema of the shared server.
      await must(PG_DUMP, ["--format=custom", `--schema=${schema}`, `--file=${dump}`, PG_URL]);
      await a.stop();

      // The database is lost; the dump and the keyring are what is left.
      await must("psql", [PG_URL, "-qc", `drop schema ${schema} cascade`]);
      await must("pg_restore", ["--no-owner", `--dbname=${PG_URL}`, dump]);
      const b = await serve(env);
      expect(b.p.output()).not.toContain("Portico initialized a new database.");
      await expectAccount(b.url, apiKey, accountId);
      await b.stop();
    });
  },
);
