import type { Kysely } from "kysely";
import type { DB } from "./schema.js";

export type Counter = { bucket: string; window_start: number; count: number };

/** Rows per statement: SQLite takes at most 32,766 parameters. */
const CHUNK = 1000;

/**
 * The request counts every node shares, one row per limited bucket and minute. Nodes add what
 * they counted locally and read back the total, a few times a second at most (see
 * http/rate-limit.ts), never once per request.
 */
export class RateLimitCounters {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Adds each count to its shared counter and returns the totals after the addition. Rows go in
   * a fixed order, so two nodes adding the same buckets at once lock them in the same order.
   */
  async add(counts: Counter[]): Promise<Counter[]> {
    const sorted = [...counts].sort(
      (a, b) => a.window_start - b.window_start || (a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0),
    );
    const totals: Counter[] = [];
    for (let i = 0; i < sorted.length; i += CHUNK) {
      const rows = await this.db
        .insertInto("rate_limit_counters")
        .values(sorted.slice(i, i + CHUNK))
        .onConflict((oc) =>
          oc.columns(["bucket", "window_start"]).doUpdateSet((eb) => ({
            count: eb("rate_limit_counters.count", "+", eb.ref("excluded.count")),
          })),
        )
        .returning(["bucket", "window_start", "count"])
        .execute();
      for (const r of rows)
        totals.push({ ...r, window_start: Number(r.window_start), count: Number(r.count) });
    }
    return totals;
  }

  /** The shared counts of these buckets in one window (a bucket nobody counted is absent). */
  async counts(buckets: string[], windowStart: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < buckets.length; i += CHUNK) {
      const rows = await this.db
        .selectFrom("rate_limit_counters")
        .select(["bucket", "count"])
        .where("window_start", "=", windowStart)
        .where("bucket", "in", buckets.slice(i, i + CHUNK))
        .execute();
      for (const r of rows) out.set(r.bucket, Number(r.count));
    }
    return out;
  }

  /** Forgets minutes no node reads any more. */
  async purgeBefore(windowStart: number): Promise<void> {
    await this.db.deleteFrom("rate_limit_counters").where("window_start", "<", windowStart).execute();
  }
}
