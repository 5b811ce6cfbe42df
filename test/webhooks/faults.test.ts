import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../src/db/database.js";
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { hubFetch } from "../helpers/hub.js";
import { firstStartKey, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import type { TestServer } from "../helpers/test-server.js";
import { basic } from "../helpers/test-server.js";

/** Environment of a `portico serve` tuned for fast fault tests (short timeouts, quick polling). */
function faultEnv(db: TestDatabase, dataDir: string): Record<string, string> {
  return {
    PORTICO_DATABASE_URL: db.url,
    PORTICO_DATA_DIR: dataDir,
    PORTICO_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
    PORTICO_WEBHOOK_TIMEOUT_MS: "1000",
    PORTICO_WEBHOOK_RETRY_BASE_MS: "100",
    PORTICO_WEBHOOK_POLL_MS: "20",
    PORTICO_LOG_LEVEL: "warn",
  };
}

async function linkAccount(url: string, apiKey: string): Promise<string> {
  const server = { url, apiKey } as unknown as TestServer;
  const res = await fetch(`${url}/connect_sessions`, {
    method: "POST",
    headers: { authorization: basic(apiKey), "content-type": "application/json" },
    body: JSON.stringify({ origin_owner_id: "burst", origin_owner_name: "Burst" }),
  });
  const { token } = await res.json();
  const link = await hubFetch(server, token, "/accounts", {
    method: "POST",
    body: { integration_id: "sandbox-hris", credentials: { api_key: "sandbox-demo-key" } },
  });
  return (await link.json()).id;
}

const patchLabel = (url: string, apiKey: string, accountId: string, label: string) =>
  fetch(`${url}/accounts/${accountId}`, {
    method: "PATCH",
    headers: { authorization: basic(apiKey), "content-type": "application/json" },
    body: JSON.stringify({ label }),
  }).then((r) => r.status);

async function allEventIds(database: Database): Promise<string[]> {
  return (await database.db.selectFrom("webhook_events").select("id").execute()).map((r) => r.id);
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`webhooks survive kill -9 on ${dialect}`, () => {
    let db: TestDatabase;
    let rx: Receiver;
    let dataDir: string;
    const procs: ServeProcess[] = [];
    let database: Database;
    beforeAll(async () => {
      db = await createTestDatabase(dialect);
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-kill-"));
      rx = await startReceiver();
      rx.setDelay(5);
    });
    afterAll(async () => {
      for (const p of procs) await p.stop("SIGKILL");
      await database?.close();
      await rx?.close();
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("delivers every event of a 1,000-change burst at least once across a kill -9 and a restart", async () => {
      const env = faultEnv(db, dataDir);
      const first = await spawnServe(env);
      procs.push(first);
      const apiKey = firstStartKey(first.output())!;
      const add = await fetch(`${first.url}/portico/v1/webhooks`, {
        method: "POST",
        headers: { authorization: basic(apiKey), "content-type": "application/json" },
        body: JSON.stringify({ url: rx.url }),
      });
      expect(add.status).toBe(201);
      const accountId = await linkAccount(first.url, apiKey);

      let server = first;
      let killed = false;
      let ok = 0;
      for (let i = 0; i < 1000; i += 20) {
        if (!killed && i >= 400) {
          // Mid-burst, with deliveries in flight: no graceful anything.
          await first.stop("SIGKILL");
          killed = true;
          server = await spawnServe({ ...env, PORTICO_PORT: new URL(first.url).port });
          procs.push(server);
        }
        const statuses = await Promise.all(
          Array.from({ length: 20 }, (_, j) =>
            patchLabel(server.url, apiKey, accountId, `label-${i + j}`).catch(() => 0),
          ),
        );
        ok += statuses.filter((s) => s === 200).length;
      }
      expect(killed).toBe(true);
      expect(ok).toBe(1000);

      database = openDatabase(db.url);
      const ids = await allEventIds(database);
      expect(ids.length).toBe(1001);
      await rx.waitFor(() => ids.every((id) => rx.uniqueIds().has(id)), 60_000);
      const pending = await database.db
        .selectFrom("webhook_deliveries")
        .select("id")
        .where("status", "!=", "delivered")
        .execute();
      expect(pending).toEqual([]);
    }, 120_000);
  });
}

describe.skipIf(!dialectAvailable("postgres"))("two processes share webhook delivery on PostgreSQL", () => {
  let db: TestDatabase;
  let rx: Receiver;
  const dirs: string[] = [];
  const procs: ServeProcess[] = [];
  let database: Database;
  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    rx = await startReceiver();
    rx.setDelay(20);
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await database?.close();
    await rx?.close();
    await db?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("delivers a burst with no event sent twice at once, and no attempt wasted", async () => {
    const dir = () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), "portico-two-"));
      dirs.push(d);
      return d;
    };
    const env = faultEnv(db, dir());
    const a = await spawnServe(env);
    procs.push(a);
    const apiKey = firstStartKey(a.output())!;
    const b = await spawnServe({ ...env, PORTICO_DATA_DIR: dir() });
    procs.push(b);
    await fetch(`${a.url}/portico/v1/webhooks`, {
      method: "POST",
      headers: { authorization: basic(apiKey), "content-type": "application/json" },
      body: JSON.stringify({ url: rx.url }),
    });
    const accountId = await linkAccount(a.url, apiKey);
    for (let i = 0; i < 500; i += 25) {
      await Promise.all(
        Array.from({ length: 25 }, (_, j) =>
          patchLabel((i + j) % 2 ? a.url : b.url, apiKey, accountId, `l-${i + j}`),
        ),
      );
    }
    database = openDatabase(db.url);
    const ids = await allEventIds(database);
    expect(ids.length).toBe(501);
    await rx.waitFor(() => ids.every((id) => rx.uniqueIds().has(id)), 60_000);
    expect(rx.overlaps).toEqual([]);
    expect(rx.received.length).toBe(ids.length);
    const workers = await database.db.selectFrom("webhook_attempts").select("worker").distinct().execute();
    expect(workers.length).toBe(2);
  }, 120_000);
});
