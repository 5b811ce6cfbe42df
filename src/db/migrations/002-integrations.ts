import type { Migration } from "kysely";
import type { AnyDb } from "./support.js";

/** Per-project provider switches and OAuth apps (issue: linked accounts through the hub). */
export const integrations: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable("integrations")
      .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
      .addColumn("provider", "text", (c) => c.notNull())
      .addColumn("active", "integer", (c) => c.notNull())
      .addColumn("client_id", "text")
      .addColumn("client_secret", "text")
      .addColumn("scopes", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addPrimaryKeyConstraint("integrations_pk", ["project_id", "provider"])
      .execute();
  },
};
