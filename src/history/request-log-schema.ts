import { type Kysely, sql } from "kysely";

/**
 * On SQLite the request log lives in a database file of its own beside the main one, so the
 * file that holds credentials never grows with traffic, and the log's writes take that file's
 * write lock, not the main one's. `portico.db` logs into `portico-requests.db`.
 */
export function requestLogFileOf(mainFile: string): string {
  if (mainFile === ":memory:") return mainFile;
  const base = mainFile.endsWith(".db") ? mainFile.slice(0, -3) : mainFile;
  return `${base}-requests.db`;
}

/** The log file's schema version (`PRAGMA user_version`); the main database's migrations cannot reach it. */
export const SQLITE_LOG_VERSION = 1;

// biome-ignore lint/suspicious/noExplicitAny: the log file's tables are queried with raw SQL only.
type AnyKysely = Kysely<any>;

/**
 * Creates the log file's lookups and writer counter on first open (the same shape as the
 * PostgreSQL tables of migration 012), and refuses a file written by a newer Portico.
 */
export async function prepareSqliteLogFile(db: AnyKysely): Promise<void> {
  const { rows } = await sql<{ user_version: number }>`pragma user_version`.execute(db);
  const version = Number(rows[0]?.user_version ?? 0);
  if (version > SQLITE_LOG_VERSION)
    throw new Error(
      `the request log file was written by a newer Portico (schema ${version}, this one knows ${SQLITE_LOG_VERSION}); upgrade this node`,
    );
  if (version === SQLITE_LOG_VERSION) return;
  await db.transaction().execute(async (trx) => {
    await sql`create table if not exists request_log_keys (
      id integer primary key,
      project_id text not null,
      key_id text not null,
      key_prefix text not null,
      unique (project_id, key_id, key_prefix))`.execute(trx);
    await sql`create table if not exists request_log_routes (
      id integer primary key,
      method text not null,
      route text not null,
      provider_method text not null,
      service text not null,
      unique (method, route, provider_method))`.execute(trx);
    await sql`create table if not exists request_log_hosts (
      id integer primary key,
      provider text not null,
      prefix text not null,
      unique (provider, prefix))`.execute(trx);
    await sql`create table if not exists request_log_writers (n integer not null)`.execute(trx);
    await sql`insert into request_log_writers (n) select 0 where not exists (select 1 from request_log_writers)`.execute(
      trx,
    );
    await sql.raw(`pragma user_version = ${SQLITE_LOG_VERSION}`).execute(trx);
  });
}

/**
 * One day of the log on SQLite. The id is the rowid (no separate primary-key index, and rows are
 * stored in time order), and every index entry carries it, so an index on `key` orders a key's
 * requests by time.
 */
export function sqliteDayTable(name: string): string[] {
  return [
    `create table if not exists ${name} (
      id integer primary key,
      key integer not null,
      route integer not null,
      status integer not null,
      duration integer not null,
      account text,
      host integer,
      provider_status integer,
      provider_path text,
      path text,
      provider_url text,
      error text,
      provider_steps text)`,
    `create index if not exists ${name}_key on ${name} (key)`,
    `create index if not exists ${name}_account on ${name} (account) where account is not null`,
    `create index if not exists ${name}_errors on ${name} (key) where status >= 400`,
  ];
}
