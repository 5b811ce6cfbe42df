import type { Migration } from "kysely";
import type { Dialect } from "../database.js";
import { type AnyDb, identity } from "./support.js";

export function foundation(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("meta")
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("organizations")
        .addColumn("id", identity(dialect))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("projects")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("organization_id", "bigint", (c) => c.notNull().references("organizations.id"))
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
        .addColumn("key_hash", "text", (c) => c.notNull().unique())
        .addColumn("prefix", "text", (c) => c.notNull())
        .addColumn("name", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .addColumn("revoked_at", "bigint")
        .execute();
      await db.schema
        .createIndex("api_keys_project")
        .on("api_keys")
        .columns(["project_id", "created_at"])
        .execute();
      await db.schema
        .createTable("accounts")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
        .addColumn("provider", "text", (c) => c.notNull())
        .addColumn("origin_owner_id", "text", (c) => c.notNull())
        .addColumn("origin_owner_name", "text", (c) => c.notNull())
        .addColumn("origin_username", "text")
        .addColumn("label", "text")
        .addColumn("metadata", "text")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("status_reasons", "text")
        .addColumn("credentials", "text")
        .addColumn("setup_information", "text")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // The list endpoint's stable order is (created_at, id); these serve it with and without the
      // owner filter, and the re-connect lookup (project, owner, provider).
      await db.schema
        .createIndex("accounts_project_order")
        .on("accounts")
        .columns(["project_id", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("accounts_project_owner")
        .on("accounts")
        .columns(["project_id", "origin_owner_id", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("accounts_project_provider_owner")
        .on("accounts")
        .columns(["project_id", "provider", "origin_owner_id"])
        .execute();
      await db.schema
        .createTable("connect_sessions")
        .addColumn("id", identity(dialect))
        .addColumn("organization_id", "bigint", (c) => c.notNull().references("organizations.id"))
        .addColumn("project_id", "text", (c) => c.notNull().references("projects.id"))
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("origin_owner_id", "text", (c) => c.notNull())
        .addColumn("origin_owner_name", "text", (c) => c.notNull())
        .addColumn("origin_username", "text")
        .addColumn("categories", "text")
        .addColumn("provider", "text")
        .addColumn("account_id", "text")
        .addColumn("label", "text")
        .addColumn("metadata", "text")
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("multiple", "integer", (c) => c.notNull())
        .addColumn("integration_id", "text")
        .addColumn("external_trigger_token", "text", (c) => c.notNull())
        .addColumn("linked_account_id", "text")
        .addColumn("expires_in", "integer", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("connect_sessions_expiry")
        .on("connect_sessions")
        .column("expires_at")
        .execute();
    },
  };
}
