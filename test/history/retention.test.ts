import { sql } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestLogBuffer, type RequestRecord } from "../../src/history/request-log-buffer.js";
import { sortableId } from "../../src/history/sortable-id.js";
import { HistoryStore } from "../../src/history/store.js";
import { createDialectContext, type DialectContext } from "../helpers/context.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";

const DAY = 86_400_000;

const request = (projectId: string, at: number, path = "/accounts"): RequestRecord => ({
  project_id: projectId,
  created_at: at,
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

    it("deletes rows past each retention in batches and keeps the rest", async () => {
      const now = Date.now();
      const db = t.ctx.database.db;
      const store = new HistoryStore(db);
      // Ids as the buffer makes them: they begin with their time, which retention relies on.
      const at = (t: number) => ({ id: sortableId("req_", t), ...request(projectId, t) });
      const requests = [
        ...Array.from({ length: 7 }, (_, i) => at(now - 8 * DAY - i)),
        ...Array.from({ length: 3 }, (_, i) => at(now - 6 * DAY + i)),
      ];
      await store.insertBatch(requests, [
        { project_id: projectId, metric: "sessions_opened", day: Math.floor(now / DAY) - 40, count: 4 },
        { project_id: projectId, metric: "sessions_opened", day: Math.floor(now / DAY), count: 2 },
      ]);
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
        request_log: 7,
        account_events: 2,
        audit_log: 1,
        refused_requests: 1,
        history_daily: 1,
      });
      expect(await t.ctx.history.refusedSince(projectId, 0)).toBe(3);
      const left = await db.selectFrom("request_log").select("id").orderBy("id").execute();
      expect(left.map((r) => r.id)).toEqual(requests.slice(7).map((r) => r.id));
      expect((await db.selectFrom("account_events").select("id").execute()).map((r) => r.id)).toEqual([
        "aev_new",
      ]);
      expect(await count("audit_log")).toBe(audits + 1);
      expect(
        (await db.selectFrom("history_daily").select("day").execute()).map((r) => Number(r.day)),
      ).toEqual([Math.floor(now / DAY)]);
      expect(await t.ctx.history.purgeExpired(2)).toEqual({
        request_log: 0,
        account_events: 0,
        audit_log: 0,
        refused_requests: 0,
        history_daily: 0,
      });
    });

    it("keeps the request log buffer bounded while the database fails, dropping the oldest, then writes", async () => {
      const db = t.ctx.database.db;
      const buffer = new RequestLogBuffer(new HistoryStore(db), {
        intervalMs: 60_000,
        maxPending: 5,
        logger: pino({ level: "silent" }),
      });
      await sql`alter table request_log rename to request_log_away`.execute(db);
      try {
        const at = Date.now();
        for (let i = 0; i < 12; i++) buffer.push(request(projectId, at + i, `/buffered/${i}`));
        expect(buffer.dropped).toBe(7);
        await buffer.flush();
        expect(buffer.dropped).toBe(7);
      } finally {
        await sql`alter table request_log_away rename to request_log`.execute(db);
      }
      await buffer.close();
      const rows = await db
        .selectFrom("request_log")
        .select("path")
        .where("path", "like", "/buffered/%")
        .orderBy("created_at")
        .execute();
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
