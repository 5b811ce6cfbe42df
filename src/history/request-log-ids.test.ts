import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  dayOf,
  dayTable,
  dbId,
  EPOCH_MS,
  fromLegacy,
  idAt,
  parseWireId,
  RequestIds,
  tableDay,
  wireId,
} from "./request-log-ids.js";
import { sortableId } from "./sortable-id.js";

describe("request log ids", () => {
  it("are unique and ordered within a process, even past 4,096 in a millisecond or with the clock going back", () => {
    let now = Date.UTC(2026, 11, 1);
    const ids = new RequestIds(() => now);
    ids.setWriter(5);
    const made: bigint[] = [];
    for (let i = 0; i < 10_000; i++) {
      if (i === 9000) now -= 50;
      made.push(dbId(ids.nextParts()));
    }
    expect(new Set(made).size).toBe(made.length);
    expect(made.every((v, i) => i === 0 || v > made[i - 1]!)).toBe(true);
  });

  it("differ between writers in the same millisecond", () => {
    const now = () => Date.UTC(2026, 11, 1);
    const a = new RequestIds(now);
    const b = new RequestIds(now);
    a.setWriter(1);
    b.setWriter(2);
    expect(a.next()).not.toBe(b.next());
  });

  it("read back from the wire as the parts they were made of, and sort as text by time", () => {
    const ids = new RequestIds(() => Date.UTC(2026, 11, 1, 12));
    ids.setWriter(1023);
    const id = ids.next();
    expect(id).toMatch(/^req_[0-9a-z]{14}$/);
    expect(parseWireId(id)).toEqual({ ms: Date.UTC(2026, 11, 1, 12), low: 1023 << 12 });
    expect(wireId(EPOCH_MS + 1, 0) < wireId(EPOCH_MS + 2, 0)).toBe(true);
    for (const bad of [
      "req_",
      "acc_0000000000000",
      "req_zzzzzzzzzzzzzz",
      "req_00000000100000",
      "req_mjx2b3k0w00a2Q",
    ])
      expect(parseWireId(bad)).toBeNull();
  });

  it("map an earlier version's id to its time and a low part, the same every time", () => {
    const at = Date.UTC(2026, 10, 30, 8);
    const old = sortableId("req_", at);
    expect(old).toHaveLength(29);
    const parts = fromLegacy(old)!;
    expect(parts.ms).toBe(at);
    expect(parseWireId(old)).toEqual(parts);
    expect(parseWireId(wireId(parts.ms, parts.low))).toEqual(parts);
  });

  it("bound days: every id of a day lies in [idAt(day start), idAt(next day start))", () => {
    const day = dayOf(Date.UTC(2026, 11, 31, 23, 59, 59, 999));
    expect(dayTable(day)).toBe("request_log_20261231");
    expect(tableDay("request_log_20261231")).toBe(day);
    expect(tableDay("request_log_20261332")).toBeNull();
    expect(tableDay("request_log_keys")).toBeNull();
    const last = dbId({ ms: (day + 1) * DAY_MS - 1, low: 2 ** 22 - 1 });
    expect(last >= idAt(day * DAY_MS) && last < idAt((day + 1) * DAY_MS)).toBe(true);
    expect(dbId({ ms: (day + 1) * DAY_MS, low: 0 })).toBe(idAt((day + 1) * DAY_MS));
    expect(idAt(EPOCH_MS + 2 ** 41 - 1) < 2n ** 63n).toBe(true);
    // A filter's time far outside the ids (year 9999, 1970) stays a bigint PostgreSQL accepts.
    expect(idAt(Date.UTC(9999, 11, 31)) < 2n ** 63n).toBe(true);
    expect(idAt(0)).toBe(0n);
  });
});
