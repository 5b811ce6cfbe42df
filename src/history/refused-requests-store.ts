import { type Kysely, sql } from "kysely";
import type { DB } from "../db/schema.js";

export type RefusedCount = { project_id: string; key_id: string; minute: number; count: number };

/** The per-key, per-minute counts of requests answered 429 (migration 010). */
export class RefusedRequestsStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** Adds counts, creating each key's minute on first sight, in one statement. */
  async add(counts: RefusedCount[]): Promise<void> {
    if (!counts.length) return;
    await this.db
      .insertInto("refused_requests")
      .values(counts)
      .onConflict((oc) =>
        oc.columns(["project_id", "minute", "key_id"]).doUpdateSet((eb) => ({
          count: sql`${eb.ref("refused_requests.count")} + ${eb.ref("excluded.count")}`,
        })),
      )
      .execute();
  }

  /** A project's counts in [from, to], newest minute first, of one key when given. */
  async list(projectId: string, f: { from: number; to: number; keyId?: string }, limit: number) {
    let q = this.db
      .selectFrom("refused_requests")
      .select(["key_id", "minute", "count"])
      .where("project_id", "=", projectId)
      .where("minute", ">=", f.from)
      .where("minute", "<=", f.to);
    if (f.keyId) q = q.where("key_id", "=", f.keyId);
    const rows = await q.orderBy("minute", "desc").orderBy("key_id").limit(limit).execute();
    return rows.map((r) => ({ key_id: r.key_id, minute: Number(r.minute), count: Number(r.count) }));
  }

  /** A project's total since `from`. */
  async total(projectId: string, from: number): Promise<number> {
    const row = await this.db
      .selectFrom("refused_requests")
      .select((eb) => eb.fn.sum<number>("count").as("n"))
      .where("project_id", "=", projectId)
      .where("minute", ">=", from)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async purgeBefore(minute: number): Promise<number> {
    const res = await this.db.deleteFrom("refused_requests").where("minute", "<", minute).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
