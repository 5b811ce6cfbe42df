import fs from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { DB } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export type Database = {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Where it lives, with any password removed: safe to log. */
  describe: string;
  ping(): Promise<void>;
  close(): Promise<void>;
};

// int8 columns (epoch-ms timestamps, identities) arrive as strings by default; every value Portico
// stores fits in a double, so read them as numbers like SQLite does.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** The part of a better-sqlite3 statement Kysely's SQLite driver uses. */
type DriverStatement = Pick<SqliteDatabase.Statement, "reader" | "all" | "run" | "iterate">;

/**
 * A reading statement that fetches rows as arrays and builds each object with a constructor
 * compiled for its columns: better-sqlite3's own objects (named properties set one by one from C++)
 * were a third of the accounts list's query time.
 */
function fastRows(stmt: SqliteDatabase.Statement): DriverStatement {
  if (!stmt.reader) return stmt;
  const names = stmt.columns().map((c) => c.name);
  // Later columns of the same name win, as in better-sqlite3's objects.
  const make = new Function(
    "r",
    `return {${names.map((n, i) => `${JSON.stringify(n)}: r[${i}]`).join(", ")}};`,
  ) as (row: unknown[]) => Record<string, unknown>;
  const raw = stmt.raw(true);
  return {
    reader: true,
    all: (...params: unknown[]) => (raw.all(...params) as unknown[][]).map(make),
    run: (...params: unknown[]) => raw.run(...params),
    *iterate(...params: unknown[]) {
      for (const row of raw.iterate(...params) as Iterable<unknown[]>) yield make(row);
    },
  } as DriverStatement;
}

/**
 * Kysely prepares every SQLite statement anew; preparing is a large share of a simple query's cost.
 * The SQL text of Portico's queries repeats (values are parameters), so prepared statements are
 * kept, bounded, and reused. better-sqlite3 runs each statement to completion synchronously, so a
 * shared statement is never used by two queries at once.
 */
function withStatementCache(handle: SqliteDatabase.Database, max = 500): SqliteDatabase.Database {
  const cache = new Map<string, DriverStatement>();
  const prepare = handle.prepare.bind(handle);
  return new Proxy(handle, {
    get(target, prop, receiver) {
      if (prop !== "prepare") {
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      }
      return (sql: string) => {
        let stmt = cache.get(sql);
        if (!stmt) {
          stmt = fastRows(prepare(sql));
          if (cache.size >= max) cache.delete(cache.keys().next().value!);
          cache.set(sql, stmt);
        }
        return stmt;
      };
    },
  });
}

export const dialectOf = (url: string): Dialect => (url.startsWith("file:") ? "sqlite" : "postgres");

export function openDatabase(url: string, opts: { poolSize?: number } = {}): Database {
  if (dialectOf(url) === "sqlite") {
    const file = url.slice("file:".length);
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const handle = new SqliteDatabase(file);
    // WAL lets readers run beside the single writer; busy_timeout makes a second process (a CLI
    // command beside a running server) wait for the lock instead of failing at once.
    handle.pragma("journal_mode = WAL");
    handle.pragma("busy_timeout = 5000");
    handle.pragma("synchronous = NORMAL");
    handle.pragma("foreign_keys = ON");
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: withStatementCache(handle) }) });
    return {
      db,
      dialect: "sqlite",
      describe: `sqlite ${path.resolve(file)}`,
      ping: async () => {
        handle.prepare("select 1").get();
      },
      close: () => db.destroy(),
    };
  }
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10 });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  const u = new URL(url);
  u.password = "";
  return {
    db,
    dialect: "postgres",
    describe: `postgres ${u.host}${u.pathname}`,
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
