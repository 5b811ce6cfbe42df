import type { Migration } from "kysely";
import type { AnyDb } from "./support.js";

/**
 * Issue 21: connection health, scoped API keys, redirects after linking and project branding.
 * - accounts: when each was last checked, what the check found, and when it is due next; the
 *   leases that keep two nodes from checking one account, and bound the checks under way per
 *   provider, live in a small table of their own rather than on the million-row accounts table.
 * - api_keys: what a key may call (a comma list of scopes; null is `full`, every key before this
 *   migration) and when it stops working (null: never).
 * - projects: the brand the hosted page wears and where it sends the end user afterwards; the
 *   logo's bytes in a table of their own, so reading a project never reads them.
 * - connect_sessions: a session's own success and error URLs (a Portico extension field).
 * - request_log: every attempt of a proxied call that was retried, as JSON.
 */
export const healthScopesBranding: Migration = {
  async up(db: AnyDb) {
    for (const column of ["health_checked_at", "health_next_at"])
      await db.schema.alterTable("accounts").addColumn(column, "bigint").execute();
    for (const column of ["health_result", "health_detail"])
      await db.schema.alterTable("accounts").addColumn(column, "text").execute();
    await db.schema.createIndex("accounts_health_due").on("accounts").columns(["health_next_at"]).execute();
    await db.schema
      .createTable("health_check_leases")
      .addColumn("account_id", "text", (c) => c.primaryKey())
      .addColumn("provider", "text", (c) => c.notNull())
      .addColumn("owner", "text", (c) => c.notNull())
      .addColumn("until", "bigint", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("health_check_leases_provider")
      .on("health_check_leases")
      .columns(["provider", "until"])
      .execute();

    await db.schema.alterTable("api_keys").addColumn("scopes", "text").execute();
    await db.schema.alterTable("api_keys").addColumn("expires_at", "bigint").execute();

    for (const column of [
      "display_name",
      "accent_color",
      "support_url",
      "success_url",
      "error_url",
      "allowed_origins",
    ])
      await db.schema.alterTable("projects").addColumn(column, "text").execute();
    await db.schema
      .createTable("project_logos")
      .addColumn("project_id", "text", (c) => c.primaryKey())
      .addColumn("content_type", "text", (c) => c.notNull())
      .addColumn("data", "text", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("updated_at", "bigint", (c) => c.notNull())
      .execute();

    for (const column of ["success_url", "error_url"])
      await db.schema.alterTable("connect_sessions").addColumn(column, "text").execute();

    await db.schema.alterTable("request_log").addColumn("provider_steps", "text").execute();
  },
};
