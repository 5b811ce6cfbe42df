import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setImmediate as tick } from "node:timers/promises";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";

describe("WAL checkpoints on their own thread", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-checkpointer-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keep the WAL bounded under a write that never pauses (a PASSIVE checkpoint never catches up)", async () => {
    const file = path.join(dir, "busy.db");
    const database = openDatabase(`file:${file}`, { backgroundCheckpoints: true });
    try {
      await sql`create table t (id integer primary key, body text)`.execute(database.db);
      const body = "x".repeat(2000);
      // Each commit appends at least one 4 KB page to the WAL: write until 500 MB of frames have gone
      // through (a count, not a time, so a loaded machine only makes it slower).
      const enough = (500 * 1024 * 1024) / 4096;
      let largest = 0;
      let rows = 0;
      // Writes in every turn of the event loop, as a server under load does; with PASSIVE
      // checkpoints alone the WAL grew by every frame written.
      while (rows <= enough) {
        for (let i = 0; i < 20; i++) await sql`insert into t (body) values (${body})`.execute(database.db);
        rows += 20;
        largest = Math.max(largest, fs.statSync(`${file}-wal`).size);
        await tick();
      }
      // Without restarts the WAL holds every frame ever written; with them it rewinds, and stays a
      // fraction of what went through.
      const framesWritten = rows * 4096;
      expect(largest).toBeLessThan(framesWritten / 2);
      const counted = await sql<{ n: number }>`select count(*) as n from t`.execute(database.db);
      expect(counted.rows[0]?.n).toBe(rows);
    } finally {
      await database.close();
    }
  }, 180_000);
});
