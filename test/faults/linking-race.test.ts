import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.js";
import { createTestDatabase, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { firstStartKey, type ServeProcess, spawnServe } from "../helpers/processes.js";
import type { TestServer } from "../helpers/test-server.js";

const NODES = 3;
const OWNERS = 15;
const LINKS_PER_NODE = 2;

/**
 * Three `portico serve` processes on one PostgreSQL, each linking the same owner's Sandbox HRIS
 * from its own connect sessions at the same moment (two tabs, two auth links, three nodes):
 * exactly one account per owner and provider, created once and re-connected by the others.
 */
describe.skipIf(!dialectAvailable("postgres"))("three nodes racing links on one PostgreSQL", () => {
  let db: TestDatabase;
  let database: Database;
  const nodes: ServeProcess[] = [];
  const dirs: string[] = [];
  let apiKey: string;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    const keys = `k1:${randomBytes(32).toString("base64")}`;
    for (let i = 0; i < NODES; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-race-"));
      dirs.push(dir);
      nodes.push(
        await spawnServe({
          PORTICO_DATABASE_URL: db.url,
          PORTICO_DATA_DIR: dir,
          PORTICO_ENCRYPTION_KEYS: keys,
          PORTICO_LOG_LEVEL: "warn",
          PORTICO_WORKERS: "false",
        }),
      );
    }
    apiKey = firstStartKey(nodes[0]!.output())!;
    database = openDatabase(db.url);
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop("SIGKILL");
    await database?.close();
    await db?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("makes exactly one account per owner and provider, announced once as created", async () => {
    const servers = nodes.map((n) => ({ url: n.url, apiKey }) as TestServer);
    for (let round = 0; round < OWNERS; round++) {
      const owner = `race-${round}`;
      const sessions = await Promise.all(
        servers.flatMap((s) =>
          Array.from({ length: LINKS_PER_NODE }, () =>
            createSession(s, { origin_owner_id: owner, origin_owner_name: "Race" }).then((x) => ({
              s,
              ...x,
            })),
          ),
        ),
      );
      const ids = await Promise.all(sessions.map((x) => linkSandboxHris(x.s, x.token)));
      expect(new Set(ids).size, owner).toBe(1);
    }
    const accounts = await database.db.selectFrom("accounts").select(["id", "origin_owner_id"]).execute();
    expect(accounts).toHaveLength(OWNERS);
    expect(new Set(accounts.map((a) => a.origin_owner_id)).size).toBe(OWNERS);
    const events = await database.db
      .selectFrom("webhook_events")
      .select(["type", "payload"])
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    for (const a of accounts) {
      const types = events.filter((e) => JSON.parse(e.payload).account_id === a.id).map((e) => e.type);
      expect(types, a.origin_owner_id).toEqual([
        "account.created",
        ...Array(NODES * LINKS_PER_NODE - 1).fill("account.updated"),
      ]);
    }
  }, 120_000);
});
