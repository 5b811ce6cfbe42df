import { type Migration, sql } from "kysely";
import { type Dialect, openDatabase } from "./database.js";
import { foundation } from "./migrations/001-foundation.js";
import { integrations } from "./migrations/002-integrations.js";
import { oauth } from "./migrations/003-oauth.js";
import { webhooks } from "./migrations/004-webhooks.js";
import { clientVersions } from "./migrations/005-client-versions.js";
import { rateLimits } from "./migrations/006-rate-limits.js";
import { history } from "./migrations/007-history.js";
import { coveringOwnerIndex } from "./migrations/009-covering-owner-index.js";
import { refusedRequests } from "./migrations/010-refused-requests.js";
import { healthScopesBranding } from "./migrations/011-health-scopes-branding.js";
import { compactRequestLog } from "./migrations/012-compact-request-log.js";
import { consoleUsers } from "./migrations/013-console-users.js";
import { accountCounts } from "./migrations/016-account-counts.js";
import type { AnyDb } from "./migrations/support.js";

/**
 * In-code migrations, applied in name order at start and by `portico migrate` (see `migrate`
 * below), each exactly once however many nodes start at once. One module a migration in
 * migrations/, named by its number. Shipped migrations are never edited: add a new one.
 */

export function migrationsFor(dialect: Dialect): Record<string, Migration> {
  return {
    "001_foundation": foundation(dialect),
    "002_integrations": integrations,
    "003_oauth": oauth,
    "004_webhooks": webhooks,
    "005_client_versions": clientVersions,
    "006_rate_limits": rateLimits,
    "007_history": history(dialect),
    "009_covering_owner_index": coveringOwnerIndex(dialect),
    "010_refused_requests": refusedRequests,
    "011_health_scopes_branding": healthScopesBranding,
    "012_compact_request_log": compactRequestLog(dialect),
    "013_console_users": consoleUsers(dialect),
    "016_account_counts": accountCounts(dialect),
  };
}

/**
 * Applies pending migrations, in name order, in one transaction, and returns their names.
 *
 * Not Kysely's Migrator: on PostgreSQL it introspects every table of every schema in the database
 * (pg_get_serial_sequence per column) on each start, which is slow in a shared database and fails
 * outright when another schema is dropped meanwhile. This runner touches only its own table, in the
 * schema the connection writes to (search_path), and keeps the same bookkeeping table, so databases
 * migrated by earlier versions carry on. Several nodes starting at once serialize on an advisory
 * lock (PostgreSQL) or on SQLite's write lock, taken up front by BEGIN IMMEDIATE.
 */
export async function migrate(db: AnyDb, dialect: Dialect): Promise<string[]> {
  const known = Object.entries(migrationsFor(dialect)).sort(([a], [b]) => a.localeCompare(b));
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === "sqlite" ? "begin immediate" : "begin").execute(conn);
    try {
      if (dialect === "postgres")
        await sql`select pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '') || '.portico_migrations'))`.execute(
          conn,
        );
      await sql`create table if not exists portico_migrations (name varchar(255) not null primary key, timestamp varchar(255) not null)`.execute(
        conn,
      );
      const done = new Set(
        (await conn.selectFrom("portico_migrations").select("name").execute()).map((r) => r.name as string),
      );
      const unknown = [...done].filter((name) => !known.some(([k]) => k === name));
      if (unknown.length)
        throw new Error(
          `the database was migrated by a newer Portico (unknown migrations: ${unknown.join(", ")}); upgrade this node`,
        );
      const applied: string[] = [];
      for (const [name, migration] of known) {
        if (done.has(name)) continue;
        await migration.up(conn);
        await conn
          .insertInto("portico_migrations")
          .values({ name, timestamp: new Date().toISOString() })
          .execute();
        applied.push(name);
      }
      await sql`commit`.execute(conn);
      return applied;
    } catch (err) {
      await sql`rollback`.execute(conn).catch(() => {});
      throw err;
    }
  });
}

/**
 * `migrate` over a connection of its own, without the time limits a serving process has: a
 * migration may rewrite a large table for minutes. Returns what it applied and where.
 */
export async function migrateUrl(url: string): Promise<{ applied: string[]; database: string }> {
  const database = openDatabase(url, { poolSize: 1 });
  try {
    return { applied: await migrate(database.db, database.dialect), database: database.describe };
  } finally {
    await database.close();
  }
}
