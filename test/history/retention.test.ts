import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestLogBuffer, type RequestRecord } from "../../src/history/request-log-buffer.js";
import { DAY_MS, dayOf, dayTable, wireId } from "../../src/history/request-log-ids.js";
import { HistoryStore } from "../../src/history/store.js";
import { createDialectContext, type DialectContext } from "../helpers/context.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";

const DAY = 86_400_000;

let seq = 0;
const request = (projectId: string, at: number, path = "/accounts"): RequestRecord => ({
  id: wireId(at, seq++ % 4096),
  project_id: projectId,
  duration_ms: 3,
  method: "GET",
  service: "accounts",
  route: "/accounts",
  path,
  status: 200,
  key_id: "key_x",
  key_prefix: "sk_xxxxxx...",
  account_id: null,
  provider: null,
  provider_method: null,
  provider_path: null,
  provider_url: null,
  provider_status: null,
  error: null,
  provider_steps: null,
});

/** Retention: the cleanup job deletes what is older than each setting, in batches, and nothing else. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`history retention on ${dialect}`, () => {
    let t: DialectContext;
    let projectId: string;
    beforeAll(async () => {
      t = await createDialectContext(dialect, {
        PORTICO_REQUEST_LOG_RETENTION_DAYS: "7",
        PORTICO_ACCOUNT_EVENTS_RETENTION_DAYS: "30",
        PORTICO_AUDIT_RETENTION_DAYS: "90",
      });
      projectId = (await t.ctx.tenancy.init())!.project_id;
    });
    afterAll(() => t?.close());

    const count = async (table: string) =>
      Number(
        (await sql<{ n: number }>`select count(*) as n from ${sql.table(table)}`.execute(t.ctx.database.db))
          .rows[0]!.n,
      );

    /** The request log's days, as the database lists them (partitions, or tables of the log file). */
    const storedDays = async () => {
      const { db, dialect } = t.ctx.history.log;
      const { rows } =
        dialect === "postgres"
          ? await sql<{
              name: string;
            }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
              where i.inhparent = to_regclass('request_log') order by 1`.execute(db)
          : await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'table' and name like 'request_log_2%' order by 1`.execute(
              db,
            );
      return rows.map((r) => r.name);
    };

    it("drops the request log's days past retention whole, deletes other history in batches, keeps the rest", async () => {
      const now = Date.now();
      const db = t.ctx.database.db;
      const store = new HistoryStore(db);
      const log = t.ctx.history.log;
      // Two days past the 7-day retention (a whole day at least), one just inside it.
      const old = [now - 9 * DAY, now - 8 * DAY - 60_000];
      const recent = Array.from({ length: 3 }, (_, i) => now - 6 * DAY + i);
      await log.insertBatch([...old, ...recent].map((at) => request(projectId, at)));
      await store.addDaily([
        { project_id: projectId, metric: "sessions_opened", day: Math.floor(now / DAY) - 40, count: 4 },
        { project_id: projectId, metric: "sessions_opened", day: Math.floor(now / DAY), count: 2 },
      ]);
      const oldDays = [...new Set(old.map((at) => dayTable(dayOf(at))))];
      for (const name of oldDays) expect(await storedDays()).toContain(name);
      const event = (id: string, at: number) => ({
        id,
        project_id: projectId,
        account_id: "acc_1",
        provider: "sandbox-hris",
        type: "updated",
        actor_type: "system",
        actor_id: null,
        actor_name: null,
        detail: null,
        created_at: at,
      });
      await store.insertAccountEvents(db, [
        event("aev_old_1", now - 31 * DAY),
        event("aev_old_2", now - 45 * DAY),
        event("aev_new", now - 29 * DAY),
      ]);
      const audits = await count("audit_log");
      for (const [id, at] of [
        ["aud_old", now - 91 * DAY],
        ["aud_new", now - 89 * DAY],
      ] as const)
        await store.insertAudit(db, {
          id,
          project_id: projectId,
          actor_type: "system",
          actor_id: null,
          actor_name: null,
          action: "webhook.created",
          target_type: null,
          target_id: null,
          detail: null,
          created_at: at,
        });

      // Calls refused with 429, counted per key and minute, keep as long as the request log.
      const minute = (at: number) => at - (at % 60_000);
      await db
        .insertInto("refused_requests")
        .values([
          { project_id: projectId, key_id: "key_x", minute: minute(now - 8 * DAY), count: 5 },
          { project_id: projectId, key_id: "key_x", minute: minute(now - 6 * DAY), count: 3 },
        ])
        .execute();

      const deleted = await t.ctx.history.purgeExpired(2);
      expect(deleted).toEqual({
        request_log_days: oldDays.length,
        account_events: 2,
        audit_log: 1,
        refused_requests: 1,
        history_daily: 1,
      });
      expect(await t.ctx.history.refusedSince(projectId, 0)).toBe(3);
      // Whole days went: their tables (partitions) are gone, not emptied.
      const days = await storedDays();
      for (const name of oldDays) expect(days).not.toContain(name);
      expect(days).toContain(dayTable(dayOf(now - 6 * DAY)));
      const left = await log.list(projectId, {}, "eventDatetime", "asc", 100);
      expect(left.map((r) => r.created_at)).toEqual(recent);
      expect((await db.selectFrom("account_events").select("id").execute()).map((r) => r.id)).toEqual([
        "aev_new",
      ]);
      expect(await count("audit_log")).toBe(audits + 1);
      expect(
        (await db.selectFrom("history_daily").select("day").execute()).map((r) => Number(r.day)),
      ).toEqual([Math.floor(now / DAY)]);
      expect(await t.ctx.history.purgeExpired(2)).toEqual({
        request_log_days: 0,
        account_events: 0,
        audit_log: 0,
        refused_requests: 0,
        history_daily: 0,
      });
    });

    it("makes today's and the next two days ahead of the writers, once however many nodes ask", async () => {
      const today = dayOf(Date.now());
      const ahead = [today, today + 1, today + 2].map(dayTable);
      // Two nodes' jobs workers at once (two contexts on one database would share nothing but it).
      const results = await Promise.all([
        t.ctx.history.prepareRequestLog(),
        t.ctx.history.prepareRequestLog(),
      ]);
      for (const r of results) expect(r.legacy_moved).toBe(0);
      const days = await storedDays();
      for (const name of ahead) expect(days.filter((d) => d === name)).toHaveLength(1);
      expect((await t.ctx.history.prepareRequestLog()).days_made).toBe(0);
      expect(DAY_MS).toBe(DAY);
    });

    it("keeps the request log buffer bounded while the database fails, dropping the oldest, then writes", async () => {
      const log = t.ctx.history.log;
      const buffer = new RequestLogBuffer(
        {
          insertBatch: (r) => log.insertBatch(r),
          addDaily: (c) => new HistoryStore(t.ctx.database.db).addDaily(c),
        },
        { intervalMs: 60_000, maxPending: 5, logger: pino({ level: "silent" }) },
      );
      const at = Date.now();
      await log.days.ensure(dayOf(at));
      // The table the rows go to is away: every write fails until it is back.
      const table = log.dialect === "postgres" ? "request_log" : dayTable(dayOf(at));
      await sql`alter table ${sql.table(table)} rename to request_log_away`.execute(log.db);
      try {
        for (let i = 0; i < 12; i++) buffer.push(request(projectId, at + i, `/buffered/${i}`));
        expect(buffer.dropped).toBe(7);
        await buffer.flush();
        expect(buffer.dropped).toBe(7);
      } finally {
        await sql`alter table request_log_away rename to ${sql.table(table)}`.execute(log.db);
      }
      await buffer.close();
      const rows = await log.list(projectId, { from: at, to: at + 20 }, "eventDatetime", "asc", 100);
      expect(rows.map((r) => r.path)).toEqual([
        "/buffered/7",
        "/buffered/8",
        "/buffered/9",
        "/buffered/10",
        "/buffered/11",
      ]);
    });
  });
}
