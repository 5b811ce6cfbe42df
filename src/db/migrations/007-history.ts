import { type Migration, sql } from "kysely";
import type { Dialect } from "../database.js";
import type { AnyDb } from "./support.js";

/**
 * History (account events, request log, audit log, daily counters) and the operator console's
 * sign-in links and sessions, with the indexes the console's lists need at a million accounts.
 */
export function history(dialect: Dialect): Migration {
  // Prefix search ranges need byte order: PostgreSQL's default collation may be a locale's.
  const bytewise = dialect === "postgres" ? sql` collate "C"` : sql``;
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("account_events")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("account_id", "text", (c) => c.notNull())
        .addColumn("provider", "text")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("actor_type", "text", (c) => c.notNull())
        .addColumn("actor_id", "text")
        .addColumn("actor_name", "text")
        .addColumn("detail", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("account_events_account")
        .on("account_events")
        .columns(["project_id", "account_id", "created_at"])
        .execute();
      await db.schema
        .createIndex("account_events_type")
        .on("account_events")
        .columns(["project_id", "type", "created_at"])
        .execute();
      await db.schema
        .createIndex("account_events_project_time")
        .on("account_events")
        .columns(["project_id", "created_at", "id"])
        .execute();
      await db.schema.createIndex("account_events_time").on("account_events").column("created_at").execute();

      await db.schema
        .createTable("request_log")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("duration_ms", "integer", (c) => c.notNull())
        .addColumn("method", "text", (c) => c.notNull())
        .addColumn("service", "text", (c) => c.notNull())
        .addColumn("route", "text", (c) => c.notNull())
        .addColumn("path", "text", (c) => c.notNull())
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("key_id", "text")
        .addColumn("key_prefix", "text")
        .addColumn("account_id", "text")
        .addColumn("provider", "text")
        .addColumn("provider_method", "text")
        .addColumn("provider_path", "text")
        .addColumn("provider_url", "text")
        .addColumn("provider_status", "integer")
        .addColumn("error", "text")
        .execute();
      await db.schema
        .createIndex("request_log_project_time")
        .on("request_log")
        .columns(["project_id", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("request_log_account")
        .on("request_log")
        .columns(["project_id", "account_id", "created_at"])
        .execute();
      // Every index is paid by every API call's record: no more than the listing (by project and
      // time) and the account page need. Ids start with their time, so retention deletes by id.

      await db.schema
        .createTable("audit_log")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("project_id", "text")
        .addColumn("actor_type", "text", (c) => c.notNull())
        .addColumn("actor_id", "text")
        .addColumn("actor_name", "text")
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target_type", "text")
        .addColumn("target_id", "text")
        .addColumn("detail", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("audit_log_project_time")
        .on("audit_log")
        .columns(["project_id", "created_at", "id"])
        .execute();
      await db.schema.createIndex("audit_log_time").on("audit_log").columns(["created_at", "id"]).execute();

      await db.schema
        .createTable("history_daily")
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("metric", "text", (c) => c.notNull())
        .addColumn("day", "integer", (c) => c.notNull())
        .addColumn("count", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("history_daily_pk", ["project_id", "metric", "day"])
        .execute();

      await db.schema
        .createTable("console_links")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("operator", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("used_at", "bigint")
        .execute();
      await db.schema.createIndex("console_links_expiry").on("console_links").column("expires_at").execute();
      await db.schema
        .createTable("console_sessions")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("operator", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_seen_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("console_sessions_expiry")
        .on("console_sessions")
        .column("expires_at")
        .execute();

      // The console's accounts list: newest first, filtered by status or provider, searched by owner
      // name prefix (case-insensitive); owner id filters and prefixes use accounts_project_owner.
      await db.schema
        .createIndex("accounts_project_status")
        .on("accounts")
        .columns(["project_id", "status", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("accounts_project_provider")
        .on("accounts")
        .columns(["project_id", "provider", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("accounts_project_owner_name")
        .on("accounts")
        .expression(sql`project_id, lower(origin_owner_name)${bytewise}, id`)
        .execute();
      // SQLite's accounts_project_owner already orders owner ids bytewise.
      if (dialect === "postgres")
        await db.schema
          .createIndex("accounts_project_owner_prefix")
          .on("accounts")
          .expression(sql`project_id, origin_owner_id${bytewise}, created_at, id`)
          .execute();
      // The overview's webhook backlog and success rate per project.
      await db.schema
        .createIndex("webhook_deliveries_project_status")
        .on("webhook_deliveries")
        .columns(["project_id", "status", "created_at"])
        .execute();
    },
  };
}
