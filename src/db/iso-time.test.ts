import { describe, expect, it } from "vitest";
import { isoTime } from "./iso-time.js";

describe("isoTime", () => {
  it("writes what Date's toISOString writes", () => {
    const times = [
      0,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      Date.UTC(2026, 11, 7, 23, 59, 59, 999),
      Date.now(),
    ];
    for (let i = 0; i < 2000; i++) times.push(Math.floor(Math.random() * 4_000_000_000_000));
    for (const t of times) {
      expect(isoTime(t)).toBe(new Date(t).toISOString());
      expect(isoTime(String(t))).toBe(new Date(t).toISOString());
    }
    expect(isoTime(253_402_300_800_000)).toBe(new Date(253_402_300_800_000).toISOString());
  });
});
