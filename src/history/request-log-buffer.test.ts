import pino from "pino";
import { describe, expect, it } from "vitest";
import { RequestLogBuffer, type RequestRecord } from "./request-log-buffer.js";

const record = (path: string) => ({ path }) as RequestRecord;

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
      { intervalMs: 60_000, maxPending: 100, logger: pino({ level: "silent" }) },
    );
    buffer.push(record("/a"));
    const first = buffer.flush();
    buffer.push(record("/b"));
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
          if (fail) throw new Error("no");
        },
        addDaily: async (counts) => {
          counted.push(...counts.map((c) => c.count));
        },
      },
      { intervalMs: 60_000, maxPending: 100, logger: pino({ level: "silent" }) },
    );
    buffer.push(record("/a"));
    buffer.count("proj_1", "sessions_opened", Date.now());
    buffer.count("proj_1", "sessions_opened", Date.now());
    await buffer.flush();
    fail = false;
    await buffer.flush();
    expect(counted).toEqual([2]);
    await buffer.close();
  });
});
