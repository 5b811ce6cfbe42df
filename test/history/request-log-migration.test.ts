import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Context, createContext } from "../../src/context.js";
import { openDatabase } from "../../src/db/database.js";
import { migrationsFor } from "../../src/db/migrations.js";
import { sortableId } from "../../src/history/sortable-id.js";
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";

const DAY = 86_400_000;
const PROJECT = "proj_migrated";

/** A row as Portico wrote it before migration 012 (migration 007's table). */
const oldRow = (at: number, i: number, proxied: boolean) => ({
  id: sortableId("req_", at),
  project_id: PROJECT,
  created_at: at,
  duration_ms: 5 + i,
  method: proxied ? "POST" : "GET",
  service: proxied ? "proxy" : "accounts",
  route: proxied ? "/unified/proxy" : "/accounts/:id",
  path: proxied ? "/unified/proxy" : `/accounts/acc_old${i}`,
  status: proxied ? 502 : 200,
  key_id: "key_old",
  key_prefix: "sk_old...",
  account_id: `acc_old${i}`,
  provider: proxied ? "sandbox-hris" : null,
  provider_method: proxied ? "GET" : null,
  provider_path: proxied ? "/employees" : null,
  provider_url: proxied ? "https://sandbox.portico.internal/hris/employees" : null,
  provider_status: proxied ? 503 : null,
  error: null,
});

/**
 * A database migrated by an earlier version, with request-log rows in the old table, carries on:
 * migration 012 sets the table aside, the jobs worker moves the rows within retention into the
 * new layout under ids their old ones map to, and drops the rest with the old table.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`request log from an earlier version on ${dialect}`, () => {
    let test: TestDatabase;
    let ctx: Context;
    let dataDir: string;
    const now = Date.now();
    const kept = [1, 2, 3, 4, 5].map((i) => oldRow(now - i * 3600_000 - i * DAY, i, i % 2 === 0));
    const expired = [oldRow(now - 40 * DAY, 9, false), oldRow(now - 31 * DAY, 8, true)];

    beforeAll(async () => {
      test = await createTestDatabase(dialect);
      // Migrate as the earlier version did: every migration before 012.
      const before = openDatabase(test.url, { poolSize: 1 });
      await sql`create table portico_migrations (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(
        before.db,
      );
      for (const [name, migration] of Object.entries(migrationsFor(dialect)).sort()) {
        if (name >= "012") break;
        await migration.up(before.db);
        await sql`insert into portico_migrations (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(
          before.db,
        );
      }
      for (const row of [...kept, ...expired])
        await sql`insert into request_log (${sql.join(Object.keys(row).map((c) => sql.ref(c)))})
          values (${sql.join(Object.values(row))})`.execute(before.db);
      await before.close();
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-data-"));
      ctx = await createContext(
        loadConfig({
          PORTICO_DATA_DIR: dataDir,
          PORTICO_DATABASE_URL: test.url,
          PORTICO_DATABASE_POOL_SIZE: "4",
          PORTICO_REQUEST_LOG_RETENTION_DAYS: "30",
        }),
        { logger: pino({ level: "silent" }) },
      );
    });
    afterAll(async () => {
      await ctx?.close();
      await test?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const tables = async () =>
      (dialect === "postgres"
        ? await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = current_schema() and table_name like 'request_log%'`.execute(ctx.database.db)
        : await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name like 'request_log%'`.execute(
            ctx.database.db,
          )
      ).rows.map((r) => r.name);

    it("sets the old table aside, moves the rows within retention, and drops it", async () => {
      expect(await tables()).toContain("request_log_legacy");
      expect(await ctx.history.prepareRequestLog()).toMatchObject({ legacy_moved: kept.length });
      expect(await tables()).not.toContain("request_log_legacy");
      const { data } = await ctx.history.listRequestLogs(PROJECT, { include: "step_logs" });
      expect(data.map((l) => l.start_time)).toEqual(kept.map((r) => new Date(r.created_at).toISOString()));
      for (const [l, r] of data.map((l, i) => [l, kept[i]!] as const)) {
        expect(l).toMatchObject({
          project_id: PROJECT,
          account_id: r.account_id,
          provider: r.provider,
          service: r.service,
          http_method: r.method,
          path: r.path,
          status: r.status,
          duration: r.duration_ms,
          source_id: r.key_id,
          source_value: r.key_prefix,
        });
        expect(l.step_requests?.[0]?.url ?? null).toBe(r.provider_url);
        expect(l.step_requests?.[0]?.status ?? null).toBe(r.provider_status);
      }
      // Nothing twice, nothing past the retention.
      expect(await ctx.history.prepareRequestLog()).toMatchObject({ legacy_moved: 0 });
      expect((await ctx.history.listRequestLogs(PROJECT, { page_size: 100 })).data).toHaveLength(kept.length);
    });

    it("still finds a moved row by its old id", async () => {
      for (const r of kept) {
        const log = await ctx.history.getRequestLog(PROJECT, r.id);
        expect(log.start_time).toBe(new Date(r.created_at).toISOString());
        expect(log.path).toBe(r.path);
      }
      await expect(ctx.history.getRequestLog(PROJECT, expired[0]!.id)).rejects.toThrow(/not found/);
      await expect(ctx.history.getRequestLog("proj_other", kept[0]!.id)).rejects.toThrow(/not found/);
    });
  });
}
