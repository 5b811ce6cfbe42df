import { describe, expect, it } from "vitest";
import { insertChunks } from "./request-log-store.js";

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
