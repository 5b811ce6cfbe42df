import type { Migration } from "kysely";
import type { AnyDb } from "./support.js";

/**
 * Requests answered 429 are not written to the request log one row each (a key past its limit
 * would otherwise still cost the database a write per call): they are counted per API key and
 * minute, and the console shows the counts. `minute` is the minute's start in epoch ms.
 */
export const refusedRequests: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable("refused_requests")
      .addColumn("project_id", "text", (c) => c.notNull())
      .addColumn("key_id", "text", (c) => c.notNull())
      .addColumn("minute", "bigint", (c) => c.notNull())
      .addColumn("count", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("refused_requests_pk", ["project_id", "minute", "key_id"])
      .execute();
    // Retention deletes by time across projects.
    await db.schema.createIndex("refused_requests_minute").on("refused_requests").column("minute").execute();
  },
};
