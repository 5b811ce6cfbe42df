import { describe, expect, it } from "vitest";
import { RestartBackoff } from "./restart-backoff.js";

describe("RestartBackoff", () => {
  it("doubles the delay for each worker in a row that died soon after starting, up to the cap", () => {
    const b = new RestartBackoff(500, 30_000, 30_000);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => b.next(100))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000,
    ]);
  });

  it("starts over after a worker that ran a while", () => {
    const b = new RestartBackoff(500, 30_000, 30_000);
    b.next(100);
    b.next(100);
    expect(b.next(60_000)).toBe(500);
    expect(b.next(100)).toBe(500);
    expect(b.next(100)).toBe(1000);
  });
});
