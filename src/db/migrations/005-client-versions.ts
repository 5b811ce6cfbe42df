import type { Migration } from "kysely";
import type { AnyDb } from "./support.js";

/**
 * StackOne's clients disagree across versions (spec section 8): a project or an API key can pin
 * the wire profile its callers get (null: detect from the user agent). `shared` is a
 * LinkedAccount field of the newer clients, stored as given (0/1, null when never set).
 */
export const clientVersions: Migration = {
  async up(db: AnyDb) {
    await db.schema.alterTable("projects").addColumn("wire_profile", "text").execute();
    await db.schema.alterTable("api_keys").addColumn("wire_profile", "text").execute();
    await db.schema.alterTable("accounts").addColumn("shared", "integer").execute();
  },
};
