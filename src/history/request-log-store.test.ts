import { describe, expect, it } from "vitest";
import { insertChunks } from "./request-log-store.js";
import { keeper } from "./service.js";

describe("request log batches", () => {
  it("split into INSERTs of ten sizes at most, covering every row once", () => {
    const sizes = new Set<number>();
    for (let n = 0; n <= 3000; n++) {
      const chunks = insertChunks(n);
      expect(chunks.reduce((a, b) => a + b, 0)).toBe(n);
      for (const c of chunks) {
        expect(c).toBeLessThanOrEqual(512);
        sizes.add(c);
      }
      // At most the 512s and one INSERT per binary digit of the rest.
      expect(chunks.length).toBeLessThanOrEqual(Math.floor(n / 512) + 9);
    }
    expect([...sizes].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
  });
});

describe("PORTICO_REQUEST_LOG", () => {
  it("keeps every call, the failed ones, the failed ones and one in n of the others, or none", () => {
    const statuses = [200, 201, 302, 400, 404, 429, 500, 502];
    expect(statuses.filter(keeper({ mode: "all" }, Math.random))).toEqual(statuses);
    expect(statuses.filter(keeper({ mode: "off" }, Math.random))).toEqual([]);
    expect(statuses.filter(keeper({ mode: "errors" }, Math.random))).toEqual([400, 404, 429, 500, 502]);
    // A coin that says 0.1, 0.3, 0.5, 0.7, 0.9...: one in 4 keeps those under 0.25.
    let i = 0;
    const coin = () => ((i++ % 5) * 2 + 1) / 10;
    const keep = keeper({ mode: "sample", every: 4 }, coin);
    expect(Array.from({ length: 10 }, () => keep(200))).toEqual([
      true,
      false,
      false,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
    expect(keep(503)).toBe(true);
  });
});
