import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { asideRowsOf, openDatabase } from "../../src/db/database.js";
import { RefusedRequests } from "../../src/history/refused-requests.js";
import { RequestLogBuffer, type RequestLogSink } from "../../src/history/request-log-buffer.js";
import { failedAuthLimit } from "../../src/http/failed-auth-limit.js";
import { TelemetryService } from "../../src/telemetry/service.js";
import { installTelemetry } from "../../src/telemetry/telemetry.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * What the gauges and histograms read, on each dialect: accounts by status and provider (on
 * SQLite from the reader thread), the webhook backlog and how long its oldest due delivery has
 * waited, every statement timed with its outcome, and the request log's written and dropped
 * records.
 */

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`telemetry's sources on ${dialect}`, () => {
    let s: TestServer;

    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(async () => {
      await s?.close();
    });

    it("counts accounts by status and provider (on SQLite away from the event loop)", async () => {
      expect(await s.ctx.accounts.countByStatusAndProvider()).toEqual([]);
      for (const owner of ["a", "b", "c"]) {
        const session = await createSession(s, { origin_owner_id: owner, origin_owner_name: owner });
        await linkSandboxHris(s, session.token);
      }
      await s.ctx.database.db
        .updateTable("accounts")
        .set({ status: "error" })
        .where("origin_owner_id", "=", "c")
        .execute();
      const counts = await s.ctx.accounts.countByStatusAndProvider();
      expect(counts.sort((x, y) => x.status.localeCompare(y.status))).toEqual([
        { status: "active", provider: "sandbox-hris", count: 2 },
        { status: "error", provider: "sandbox-hris", count: 1 },
      ]);
      expect(asideRowsOf(s.ctx.database.db) !== undefined).toBe(dialect === "sqlite");
    });

    it("measures the webhook backlog: pending deliveries of active endpoints, and the oldest due one", async () => {
      const none = await s.ctx.webhooks.backlog();
      expect(none).toEqual({ pending: 0, oldestDueAt: null });
      // No delivery job runs in this server: every event waits.
      const add = (url: string) =>
        fetch(`${s.url}/portico/v1/webhooks`, {
          method: "POST",
          headers: { authorization: basic(s.apiKey), "content-type": "application/json" },
          body: JSON.stringify({ url }),
        }).then(async (r) => ((await r.json()) as { id: string }).id);
      const live = await add("https://hooks.example.com/live");
      const backingOff = await add("https://hooks.example.com/backing-off");
      const disabled = await add("https://hooks.example.com/disabled");
      const before = Date.now();
      const session = await createSession(s, { origin_owner_id: "d", origin_owner_name: "d" });
      await linkSandboxHris(s, session.token);
      const now = Date.now();
      await s.ctx.database.db
        .updateTable("webhook_endpoints")
        .set({ retry_after: now + 600_000 })
        .where("id", "=", backingOff)
        .execute();
      await s.ctx.database.db
        .updateTable("webhook_endpoints")
        .set({ status: "disabled" })
        .where("id", "=", disabled)
        .execute();
      const b = await s.ctx.webhooks.backlog(now + 1000);
      // One delivery each to the live endpoint and the one backing off; the disabled one's wait for nothing.
      expect(b.pending).toBe(2);
      expect(b.oldestDueAt).toBeGreaterThanOrEqual(before - 1000);
      expect(b.oldestDueAt).toBeLessThanOrEqual(now);
      const due = await s.ctx.database.db
        .selectFrom("webhook_deliveries")
        .select("next_attempt_at")
        .where("endpoint_id", "=", live)
        .executeTakeFirstOrThrow();
      expect(b.oldestDueAt).toBe(due.next_attempt_at);
      // Not due yet: nothing is late.
      expect((await s.ctx.webhooks.backlog(before - 60_000)).oldestDueAt).toBeNull();
    });

    it("times every statement and says which failed", async () => {
      const seen: { sql: string; ms: number; failed: boolean }[] = [];
      const db = openDatabase(s.config.databaseUrl, {
        poolSize: 2,
        observer: (sql, startedAt, failed) => seen.push({ sql, ms: performance.now() - startedAt, failed }),
      });
      try {
        await db.db.selectFrom("projects").select("id").execute();
        await expect(
          db.db
            .selectFrom("no_such_table" as "projects")
            .select("id")
            .execute(),
        ).rejects.toThrow();
        await db.db.transaction().execute(async (trx) => {
          await trx.selectFrom("organizations").select("id").execute();
        });
        const selects = seen.filter((q) => /from "projects"/.test(q.sql));
        expect(selects).toHaveLength(1);
        expect(selects[0]).toMatchObject({ failed: false });
        expect(selects[0]!.ms).toBeGreaterThanOrEqual(0);
        // PostgreSQL fails the statement when it runs; SQLite refuses it when preparing, before
        // anything ran.
        expect(seen.some((q) => /no_such_table/.test(q.sql) && q.failed)).toBe(dialect === "postgres");
        expect(seen.some((q) => /from "organizations"/.test(q.sql))).toBe(true);
        expect(seen.map((q) => q.sql.slice(0, 5).toLowerCase())).toContain("begin");
        if (dialect === "postgres") {
          const pool = db.pool!();
          expect(pool.max).toBe(2);
          expect(pool.total).toBeGreaterThanOrEqual(1);
          expect(pool.idle).toBe(pool.total);
          expect(pool.waiting).toBe(0);
        } else expect(db.pool).toBeUndefined();
      } finally {
        await db.close();
      }
    });
  });
}

describe("the request log's written and dropped records", () => {
  it("counts what a flush wrote and what a full buffer dropped", async () => {
    const service = new TelemetryService(
      loadConfig({ PORTICO_METRICS_PORT: "9464" }),
      pino({ level: "silent" }),
    );
    const previous = installTelemetry(service);
    try {
      let fail = true;
      const written: number[] = [];
      const store: RequestLogSink = {
        insertBatch: async (rows) => {
          if (fail) throw new Error("database down");
          written.push(rows.length);
        },
        addDaily: async () => {},
      };
      const buffer = new RequestLogBuffer(store, {
        intervalMs: 60_000,
        maxPending: 10,
        logger: pino({ level: "silent" }),
      });
      const record = () =>
        buffer.push({
          id: "req_0mxcmcncf000vz",
          project_id: "proj_1",
          duration_ms: 1,
          method: "GET",
          service: "accounts",
          route: "/accounts",
          path: "/accounts",
          status: 200,
          key_id: null,
          key_prefix: null,
          account_id: null,
          provider: null,
          provider_method: null,
          provider_path: null,
          provider_url: null,
          provider_status: null,
          error: null,
        } as never);
      for (let i = 0; i < 25; i++) record();
      await buffer.flush();
      fail = false;
      await buffer.flush();
      await buffer.close();
      const text = await service.metrics!.text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
      expect(value("portico_request_log_dropped_total")).toBe(buffer.dropped);
      expect(buffer.dropped).toBeGreaterThan(0);
      expect(value("portico_request_log_written_total")).toBe(written.reduce((a, b) => a + b, 0));
      expect(value("portico_request_log_written_total") + buffer.dropped).toBe(25);
    } finally {
      installTelemetry(previous);
      await service.close();
    }
  });
});

describe("refusals and losses that happen outside the request log's buffer", () => {
  it("counts a failed-authentication refusal as a rate-limited request, and a lost 429 count as a dropped record", async () => {
    const service = new TelemetryService(
      loadConfig({ PORTICO_METRICS_PORT: "9464" }),
      pino({ level: "silent" }),
    );
    const previous = installTelemetry(service);
    try {
      // An address past its failed-authentication limit (the limiter's verdict, as every node shares it).
      const limiter = { peek: () => ({ allowed: false, limit: 20, remaining: 0, resetSeconds: 7 }) };
      const limit = failedAuthLimit(limiter as never, 20, "api-key")!;
      const request = { raw: { socket: { remoteAddress: "198.51.100.7" } }, headers: {} } as never;
      expect(() => limit.check(request)).toThrow(/Too many failed authentications/);
      expect(() => limit.check(request)).toThrow(/Too many failed authentications/);

      // 429 answers are counted per key and minute, up to 10,000 distinct ones between writes.
      const counter = new RefusedRequests({ add: async () => {} } as never, {
        logger: pino({ level: "silent" }),
      });
      const minute = Date.UTC(2026, 0, 1, 10, 5);
      for (let i = 0; i <= 10_000; i++) counter.count("proj_flood", `key_${i}`, minute);
      expect(counter.lost).toBe(1);
      await counter.close();

      const text = await service.metrics!.text();
      const value = (series: string) =>
        Number(new RegExp(`^${series.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text)?.[1]);
      expect(value('portico_rate_limited_total{limit="failed-auth"}')).toBe(2);
      expect(value('portico_rate_limited_total{limit="api-key"}')).toBe(0);
      expect(value("portico_request_log_dropped_total")).toBe(1);
    } finally {
      installTelemetry(previous);
      await service.close();
    }
  });
});
