import { type Migration, sql } from "kysely";
import type { Dialect } from "../database.js";
import type { AnyDb } from "./support.js";

/**
 * Console operators by email, per organization, with a role (owner, admin, viewer); sign-in links
 * that invite one of them; sessions that belong to one of them; and the organization of an audit
 * entry that concerns no single project (an invitation, a sign-in), so each organization's
 * console shows its own.
 *
 * Sessions and links made before this migration are `portico console link`'s: they become
 * break-glass owner sessions over every organization, as they were.
 */
export function consoleUsers(dialect: Dialect): Migration {
  const emailOrder = dialect === "postgres" ? sql` collate "C"` : sql``;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("console_users")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "integer", (c) => c.notNull())
        .addColumn("email", "text", (c) => c.notNull())
        .addColumn("role", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("created_by", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("last_sign_in_at", "bigint")
        .execute();
      await db.schema
        .createIndex("console_users_organization_email")
        .on("console_users")
        .unique()
        .columns(["organization_id", "email"])
        .execute();
      // Single sign-on finds an email's memberships in every organization.
      await db.schema
        .createIndex("console_users_email")
        .on("console_users")
        .expression(sql`email${emailOrder}`)
        .execute();

      // An invitation is a sign-in link for one user; a break-glass link may name an organization.
      await db.schema.alterTable("console_links").addColumn("user_id", "text").execute();
      await db.schema.alterTable("console_links").addColumn("organization_id", "integer").execute();
      await db.schema.createIndex("console_links_user").on("console_links").column("user_id").execute();

      for (const [column, type, fallback] of [
        ["user_id", "text", null],
        ["organization_id", "integer", null],
        ["role", "text", "owner"],
        ["method", "text", "link"],
        ["user_agent", "text", null],
      ] as const)
        await db.schema
          .alterTable("console_sessions")
          .addColumn(column, type, (c) => (fallback ? c.notNull().defaultTo(fallback) : c))
          .execute();
      await db.schema.createIndex("console_sessions_user").on("console_sessions").column("user_id").execute();
      await db.schema
        .createIndex("console_sessions_organization")
        .on("console_sessions")
        .columns(["organization_id", "last_seen_at"])
        .execute();

      await db.schema.alterTable("audit_log").addColumn("organization_id", "integer").execute();
      await db.schema
        .createIndex("audit_log_organization_time")
        .on("audit_log")
        .columns(["organization_id", "created_at", "id"])
        .execute();
    },
  };
}
