import { describe, expect, it } from "vitest";
import { refreshDueAt, retryAt } from "./token-schedule.js";

describe("token schedule", () => {
  const s = { marginMs: 300_000, idleMs: 7 * 86_400_000 };

  it("refreshes a margin before expiry, never earlier than halfway, in whole milliseconds", () => {
    expect(refreshDueAt({ access_token: "a", expires_at: 10_000_000 }, 0, s)).toBe(10_000_000 - 300_000);
    // A 61-second token: halfway (30.5 s), not five minutes early, rounded down to a whole ms.
    const due = refreshDueAt({ access_token: "a", expires_at: 61_001 }, 0, s)!;
    expect(Number.isInteger(due)).toBe(true);
    expect(due).toBe(30_500);
  });

  it("refreshes an idle refresh token, and never one with nothing to refresh", () => {
    expect(refreshDueAt({ access_token: "a", refresh_token: "r" }, 1000, s)).toBe(1000 + s.idleMs);
    expect(refreshDueAt({ access_token: "a" }, 1000, s)).toBeNull();
  });

  it("backs off exponentially with jitter and stops after the last attempt", () => {
    const first = retryAt(0, 1)!;
    expect(first).toBeGreaterThanOrEqual(48_000);
    expect(first).toBeLessThanOrEqual(72_000);
    expect(retryAt(0, 4)!).toBeGreaterThanOrEqual(8 * 48_000);
    expect(retryAt(0, 9)).toBeNull();
  });
});
