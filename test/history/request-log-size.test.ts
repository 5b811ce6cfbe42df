import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dayTable } from "../../src/history/request-log-ids.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** The budget: bytes on disk a logged request, indexes and lookups included. */
const BUDGET = 150;
const CALLS = 20_000;
const ACCOUNTS = 40;
const CONCURRENCY = 16;

/**
 * What a logged request costs on disk (issue 22): 20,000 calls of the mix a backend sends
 * (sessions opened, accounts listed and read, proxied calls), through HTTP, then every byte the
 * request log holds divided by the requests it holds.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`request log size on ${dialect}`, () => {
    let s: TestServer;
    const accounts: string[] = [];
    let logged = 0;

    beforeAll(async () => {
      s = await startTestServer(dialect);
      for (let i = 0; i < ACCOUNTS; i++) {
        const session = await createSession(s, {
          origin_owner_id: `size-${i}`,
          origin_owner_name: `Size ${i}`,
        });
        accounts.push(await linkSandboxHris(s, session.token));
      }
      const auth = basic(s.apiKey);
      const json = { authorization: auth, "content-type": "application/json" };
      const call = (i: number) => {
        const n = i % ACCOUNTS;
        switch (i % 4) {
          case 0:
            return fetch(`${s.url}/connect_sessions`, {
              method: "POST",
              headers: json,
              body: JSON.stringify({ origin_owner_id: `size-${n}`, origin_owner_name: `Size ${n}` }),
            });
          case 1:
            return fetch(`${s.url}/accounts?origin_owner_id=size-${n}`, { headers: { authorization: auth } });
          case 2:
            return fetch(`${s.url}/accounts/${accounts[n]}`, { headers: { authorization: auth } });
          default:
            return fetch(`${s.url}/unified/proxy`, {
              method: "POST",
              headers: { ...json, "x-account-id": accounts[n]! },
              body: JSON.stringify({ method: "get", path: `/employees/emp_00${(i % 9) + 1}` }),
            });
        }
      };
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < CALLS; i = next++) {
            const res = await call(i);
            await res.arrayBuffer();
            if (res.status >= 300) throw new Error(`call ${i}: ${res.status}`);
          }
        }),
      );
      await s.ctx.history.flush();
      logged = await loggedRequests(s);
    }, 600_000);
    afterAll(() => s?.close());

    it(`keeps ${CALLS.toLocaleString("en")} mixed calls within ${BUDGET} bytes a request, indexes included`, async () => {
      expect(logged).toBeGreaterThanOrEqual(CALLS);
      const bytes = await logBytes(s);
      const perRequest = bytes / logged;
      console.info(
        `[request log size] ${dialect}: ${bytes} bytes for ${logged} requests = ${perRequest.toFixed(1)} bytes a request`,
      );
      expect(perRequest).toBeLessThanOrEqual(BUDGET);
      // Every call is there, readable as it was made.
      const page = await fetch(`${s.url}/requests/logs?page_size=4&include=step_logs`, {
        headers: { authorization: basic(s.apiKey) },
      });
      const body = (await page.json()) as { data: { path: string; step_requests: unknown[] | null }[] };
      expect(body.data).toHaveLength(4);
      expect(body.data.some((l) => l.path === "/unified/proxy" && l.step_requests?.length === 1)).toBe(true);
    });

    if (dialect === "sqlite")
      it("keeps the log in a file of its own beside the main one, which holds none of it", async () => {
        const main = s.config.databaseUrl.slice("file:".length);
        const logFile = path.join(path.dirname(main), "portico-requests.db");
        expect(fs.existsSync(logFile)).toBe(true);
        const { rows } = await sql<{
          name: string;
        }>`select name from sqlite_master where name like 'request_log%'`.execute(s.ctx.database.db);
        expect(rows).toEqual([]);
      });
  });
}

async function loggedRequests(s: TestServer): Promise<number> {
  const { db, dialect } = s.ctx.history.log;
  if (dialect === "postgres")
    return Number((await sql<{ n: number }>`select count(*) as n from request_log`.execute(db)).rows[0]!.n);
  let n = 0;
  for (const day of await s.ctx.history.log.days.list(true))
    n += Number(
      (await sql<{ n: number }>`select count(*) as n from ${sql.table(dayTable(day))}`.execute(db)).rows[0]!
        .n,
    );
  return n;
}

/** Every byte the request log takes: all its partitions with their indexes and the lookups (PostgreSQL), or its file (SQLite). */
async function logBytes(s: TestServer): Promise<number> {
  const { db, dialect } = s.ctx.history.log;
  if (dialect === "postgres") {
    const { rows } = await sql<{ bytes: number }>`select
        (select coalesce(sum(pg_total_relation_size(relid)), 0) from pg_partition_tree('request_log'))
      + pg_total_relation_size('request_log_keys') + pg_total_relation_size('request_log_routes')
      + pg_total_relation_size('request_log_hosts') as bytes`.execute(db);
    return Number(rows[0]!.bytes);
  }
  await sql`pragma wal_checkpoint(truncate)`.execute(db);
  const file = path.join(path.dirname(s.config.databaseUrl.slice("file:".length)), "portico-requests.db");
  return fs.statSync(file).size;
}
