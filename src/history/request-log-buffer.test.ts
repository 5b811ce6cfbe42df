import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  DIALECTS,
  dialectAvailable,
  type TestDatabase,
} from "../../test/helpers/dialects.js";
import { type Database, openDatabase } from "../db/database.js";
import { migrate } from "../db/migrations.js";
import { cleanText } from "./clean-text.js";
import { RefusedRequests } from "./refused-requests.js";
import { type RefusedCount, RefusedRequestsStore } from "./refused-requests-store.js";
import { RequestLogBuffer, type RequestLogSink, type RequestRecord } from "./request-log-buffer.js";
import { RequestIds } from "./request-log-ids.js";
import { type OpenRequestLog, openRequestLog } from "./request-log-open.js";
import { HistoryStore } from "./store.js";

const ids = new RequestIds();

const record = (over: Partial<RequestRecord> = {}): RequestRecord => ({
  id: ids.next(),
  project_id: "proj_a",
  duration_ms: 3,
  method: "GET",
  service: "accounts",
  route: "/accounts/:id",
  path: "/accounts/acc_1",
  status: 200,
  key_id: "key_1",
  key_prefix: "sk_abc",
  account_id: "acc_1",
  provider: null,
  provider_method: null,
  provider_path: null,
  provider_url: null,
  provider_status: null,
  provider_steps: null,
  error: null,
  ...over,
});

const silent = pino({ level: "silent" });

describe("history text", () => {
  it("loses NUL characters and lone surrogates, and keeps everything else as it is", () => {
    expect(cleanText("x\u0000y")).toBe("xy");
    expect(cleanText("a\uD800b")).toBe("a\uFFFDb");
    expect(cleanText("\uDC00")).toBe("\uFFFD");
    const same = "caf\u00e9 \u{1F600} /accounts/acc_1";
    expect(cleanText(same)).toBe(same);
  });
});

describe("request log buffer", () => {
  it("flush writes what was pushed after a write already under way began, once that one ends", async () => {
    const written: string[][] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((r) => {
      release = r;
    });
    const buffer = new RequestLogBuffer(
      {
        insertBatch: async (records) => {
          if (!written.length) await slow;
          written.push(records.map((r) => r.path));
        },
        addDaily: async () => {},
      },
      { intervalMs: 60_000, maxPending: 100, logger: silent },
    );
    buffer.push(record({ path: "/a" }));
    const first = buffer.flush();
    buffer.push(record({ path: "/b" }));
    const second = buffer.flush();
    release();
    await second;
    await first;
    expect(written).toEqual([["/a"], ["/b"]]);
    await buffer.close();
  });

  it("writes the daily counters even when the rows fail, and never counts them twice", async () => {
    const counted: number[] = [];
    let fail = true;
    const buffer = new RequestLogBuffer(
      {
        insertBatch: async () => {
          if (fail) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
        },
        addDaily: async (counts) => {
          counted.push(...counts.map((c) => c.count));
        },
      },
      { intervalMs: 60_000, maxPending: 100, logger: silent },
    );
    buffer.push(record());
    buffer.count("proj_1", "sessions_opened", Date.now());
    buffer.count("proj_1", "sessions_opened", Date.now());
    await buffer.flush();
    fail = false;
    await buffer.flush();
    expect(counted).toEqual([2]);
    expect(buffer.stats).toEqual({ written: 1, dropped: 0, refused: 0 });
    await buffer.close();
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`the request log writer on ${dialect}`, () => {
    let test: TestDatabase;
    let database: Database;
    let store: HistoryStore;
    let log: OpenRequestLog;
    let sink: RequestLogSink;

    beforeAll(async () => {
      test = await createTestDatabase(dialect);
      database = openDatabase(test.url, { poolSize: 2 });
      await migrate(database.db, database.dialect);
      store = new HistoryStore(database.db);
      log = await openRequestLog(database, test.url, { logger: silent });
      ids.setWriter(await log.store.claimWriter());
      sink = { insertBatch: (r) => log.store.insertBatch(r), addDaily: (c) => store.addDaily(c) };
    });
    afterAll(async () => {
      await log?.close();
      await database?.close();
      await test?.drop();
    });

    const rows = (project: string) => log.store.list(project, {}, "eventDatetime", "asc", 1000);

    it("writes a record whose text held NUL, cleaned, and the rest of its batch", async () => {
      const buffer = new RequestLogBuffer(sink, { intervalMs: 10_000, maxPending: 1000, logger: silent });
      buffer.push(record({ project_id: "proj_nul", account_id: "x\u0000y", path: "/accounts/x\u0000y" }));
      buffer.push(record({ project_id: "proj_nul", account_id: "acc_2", path: "/accounts/acc_2" }));
      buffer.count("proj_nul", "sessions_opened", Date.now());
      await buffer.flush();
      const written = await rows("proj_nul");
      expect(written.map((r) => r.account_id).sort()).toEqual(["acc_2", "xy"]);
      expect(written.find((r) => r.account_id === "xy")?.path).toBe("/accounts/xy");
      expect(buffer.stats).toEqual({ written: 2, dropped: 0, refused: 0 });
      const day = Math.floor(Date.now() / 86_400_000);
      expect((await store.daily("proj_nul", "sessions_opened", day)).get(day)).toBe(1);
    });

    it("drops only the records the database refuses, counts them, and keeps writing", async () => {
      const buffer = new RequestLogBuffer(sink, { intervalMs: 10_000, maxPending: 1000, logger: silent });
      // A record no cleaning can save: a required column missing (what a future bug could send).
      const bad = record({ project_id: "proj_bad", method: null as unknown as string });
      const good = Array.from({ length: 37 }, (_, i) => record({ project_id: "proj_bad", path: `/p/${i}` }));
      for (const r of [...good.slice(0, 20), bad, ...good.slice(20)]) buffer.push(r);
      buffer.count("proj_bad", "sessions_opened", Date.now());
      await buffer.flush();
      expect(await rows("proj_bad")).toHaveLength(37);
      expect(buffer.stats).toEqual({ written: 37, dropped: 0, refused: 1 });
      const day = Math.floor(Date.now() / 86_400_000);
      expect((await store.daily("proj_bad", "sessions_opened", day)).get(day)).toBe(1);
      // Nothing was put back: the next flush writes what comes next, and only that.
      buffer.push(record({ project_id: "proj_bad", path: "/after" }));
      await buffer.flush();
      expect(await rows("proj_bad")).toHaveLength(38);
      expect(buffer.stats).toEqual({ written: 38, dropped: 0, refused: 1 });
    });

    it("counts calls refused with 429 per key and minute, keeping them over a failed connection", async () => {
      const real = new RefusedRequestsStore(database.db);
      let failures = 1;
      const flaky = new Proxy(real, {
        get(target, prop, receiver) {
          if (prop !== "add") return Reflect.get(target, prop, receiver);
          return async (counts: RefusedCount[]) => {
            if (failures-- > 0) throw Object.assign(new Error("Connection terminated"), { code: "57P01" });
            return target.add(counts);
          };
        },
      });
      const counter = new RefusedRequests(flaky, { logger: silent, intervalMs: 60_000 });
      const minute = Date.UTC(2026, 0, 1, 10, 5);
      for (let i = 0; i < 7; i++) counter.count("proj_429", "key_a", minute + i * 1000);
      counter.count("proj_429", "key_b", minute);
      counter.count("proj_429", "key_a", minute + 60_000);
      await counter.flush();
      expect(await real.list("proj_429", { from: 0, to: minute + 120_000 }, 10)).toEqual([]);
      await counter.flush();
      expect(await real.list("proj_429", { from: 0, to: minute + 120_000 }, 10)).toEqual([
        { key_id: "key_a", minute: minute + 60_000, count: 1 },
        { key_id: "key_a", minute, count: 7 },
        { key_id: "key_b", minute, count: 1 },
      ]);
      // Added to what is there, not replacing it.
      counter.count("proj_429", "key_b", minute + 5);
      await counter.close();
      expect(await real.total("proj_429", 0)).toBe(10);
      expect(counter.lost).toBe(0);
    });

    it("keeps a batch whose connection failed and writes it once the database answers", async () => {
      let failures = 1;
      const flaky: RequestLogSink = {
        insertBatch: async (records) => {
          if (failures-- > 0)
            throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
          return sink.insertBatch(records);
        },
        addDaily: (counts) => sink.addDaily(counts),
      };
      const buffer = new RequestLogBuffer(flaky, { intervalMs: 10_000, maxPending: 1000, logger: silent });
      buffer.push(record({ project_id: "proj_down", path: "/one" }));
      buffer.push(record({ project_id: "proj_down", path: "/two" }));
      await buffer.flush();
      expect(await rows("proj_down")).toHaveLength(0);
      expect(buffer.stats).toEqual({ written: 0, dropped: 0, refused: 0 });
      await buffer.flush();
      expect((await rows("proj_down")).map((r) => r.path).sort()).toEqual(["/one", "/two"]);
      expect(buffer.stats).toEqual({ written: 2, dropped: 0, refused: 0 });
    });
  });
}
