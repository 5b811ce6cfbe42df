import { describe, expect, it } from "vitest";
import { idsBefore, sortableId } from "./sortable-id.js";

describe("sortableId", () => {
  it("is unique even when times come out of order, and sorts by time then creation", () => {
    const times = [100, 99, 100, 100, 98, 100];
    const ids = times.map((t) => sortableId("req_", t));
    expect(new Set(ids).size).toBe(ids.length);
    const sameMs = ids.filter((_, i) => times[i] === 100);
    expect([...sameMs].sort()).toEqual(sameMs);
    expect([...ids].sort()).toEqual([ids[4], ids[1], ...sameMs]);
  });

  it("puts every id of an earlier time below the bound of a later one, none of a later time", () => {
    const bound = idsBefore("req_", 1_800_000_000_000);
    expect(sortableId("req_", 1_799_999_999_999) < bound).toBe(true);
    expect(sortableId("req_", 1_800_000_000_000) > bound).toBe(true);
    expect(sortableId("req_", 5) < bound).toBe(true);
  });
});
