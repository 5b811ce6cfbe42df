import type { Migration } from "kysely";
import type { AnyDb } from "./support.js";

/** Rate limits: counters every node shares, and a per-project override of the per-key limit. */
export const rateLimits: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable("rate_limit_counters")
      .addColumn("bucket", "text", (c) => c.notNull())
      .addColumn("window_start", "bigint", (c) => c.notNull())
      .addColumn("count", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("rate_limit_counters_pk", ["bucket", "window_start"])
      .execute();
    await db.schema
      .createIndex("rate_limit_counters_window")
      .on("rate_limit_counters")
      .column("window_start")
      .execute();
    await db.schema.alterTable("projects").addColumn("rate_limit_per_minute", "integer").execute();
  },
};
