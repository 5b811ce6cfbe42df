import type { Migration } from "kysely";
import type { AnyDb } from "./support.js";

/**
 * OAuth2: connection attempts of the hub's popup flow, and the token bookkeeping on accounts that
 * makes one refresh per token possible across processes (a version for compare-and-swap and a
 * lease with its owner as the fence).
 */
export const oauth: Migration = {
  async up(db: AnyDb) {
    await db.schema
      .createTable("connection_attempts")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
      .addColumn("session_id", "bigint", (c) => c.notNull())
      .addColumn("integration", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("state_hash", "text", (c) => c.unique())
      .addColumn("pkce_verifier", "text")
      .addColumn("setup", "text")
      .addColumn("redirect_uri", "text")
      .addColumn("account_id", "text")
      .addColumn("error_code", "text")
      .addColumn("error_description", "text")
      .addColumn("created_at", "bigint", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .addColumn("expires_at", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("connection_attempts_expiry")
      .on("connection_attempts")
      .column("expires_at")
      .execute();
    for (const [name, type] of [
      ["credentials_version", "integer"],
      ["refresh_failures", "integer"],
    ] as const) {
      await db.schema
        .alterTable("accounts")
        .addColumn(name, type, (c) => c.notNull().defaultTo(0))
        .execute();
    }
    for (const name of ["token_expires_at", "next_refresh_at", "refresh_lease_until", "last_refreshed_at"]) {
      await db.schema.alterTable("accounts").addColumn(name, "bigint").execute();
    }
    await db.schema.alterTable("accounts").addColumn("refresh_lease_owner", "text").execute();
    await db.schema.createIndex("accounts_next_refresh").on("accounts").column("next_refresh_at").execute();
  },
};
