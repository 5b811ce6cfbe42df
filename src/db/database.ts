import fs from "node:fs";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import { AsideReader } from "./aside-reader.js";
import { DatabaseAvailability, DatabaseUnavailableError } from "./availability.js";
import { Checkpointer } from "./checkpointer.js";
import { FreezeWatch } from "./freeze-watch.js";
import type { DB } from "./schema.js";

export type Dialect = "sqlite" | "postgres";

export type Database = {
  db: Kysely<DB>;
  dialect: Dialect;
  /** Whether it answers, learnt from failures; see availability.ts. */
  availability: DatabaseAvailability;
  /** Where it lives, with any password removed: safe to log. */
  describe: string;
  /** PostgreSQL: the pool's connections as they are now (none on SQLite). */
  pool?: () => PoolStats;
  ping(): Promise<void>;
  close(): Promise<void>;
};

export type PoolStats = { total: number; idle: number; waiting: number; max: number };

/**
 * Told of every statement once it has run, with when it started (performance.now()) and whether
 * it failed: query metrics and trace spans (the telemetry slice). Absent, nothing is timed.
 */
export type QueryObserver = (sql: string, startedAt: number, failed: boolean) => void;

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
  // Later columns of the same name win, as in better-sqlite3's objects.
  const compile = () =>
    new Function(
      "r",
      `return {${stmt
        .columns()
        .map((c, i) => `${JSON.stringify(c.name)}: r[${i}]`)
        .join(", ")}};`,
    ) as (row: unknown[]) => Record<string, unknown>;
  let make = compile();
  let width = stmt.columns().length;
  const raw = stmt.raw(true);
  // SQLite re-prepares a statement whose tables changed (a `portico migrate` beside a running
  // server adds columns): a row of another width rebuilds the constructor.
  const build = (row: unknown[]) => {
    if (row.length !== width) {
      make = compile();
      width = row.length;
    }
    return make(row);
  };
  return {
    reader: true,
    all: (...params: unknown[]) => (raw.all(...params) as unknown[][]).map(build),
    run: (...params: unknown[]) => raw.run(...params),
    *iterate(...params: unknown[]) {
      for (const row of raw.iterate(...params) as Iterable<unknown[]>) yield build(row);
    },
  } as DriverStatement;
}

/**
 * Kysely prepares every SQLite statement anew; preparing is a large share of a simple query's cost.
 * The SQL text of Portico's queries repeats (values are parameters), so prepared statements are
 * kept, bounded, and reused. better-sqlite3 runs each statement to completion synchronously, so a
 * shared statement is never used by two queries at once.
 */
function withStatementCache(
  handle: SqliteDatabase.Database,
  observer?: QueryObserver,
  max = 500,
): SqliteDatabase.Database {
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
          // Kysely's transactions begin deferred: a transaction that reads and then writes (a link
          // checking for the owner's account before inserting one) would see the database change
          // under it from another process, and fail at its write. Immediate, it holds the write
          // lock from its start, waiting up to the busy timeout for it.
          stmt = fastRows(prepare(sql === "begin" ? "begin immediate" : sql));
          if (observer) stmt = observed(stmt, sql, observer);
          if (cache.size >= max) cache.delete(cache.keys().next().value!);
          cache.set(sql, stmt);
        }
        return stmt;
      };
    },
  });
}

/** A statement that tells `observe` how long each run took. */
function observed(stmt: DriverStatement, sql: string, observe: QueryObserver): DriverStatement {
  const timed =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      const startedAt = performance.now();
      let failed = true;
      try {
        const result = fn(...args);
        failed = false;
        return result;
      } finally {
        observe(sql, startedAt, failed);
      }
    };
  return {
    reader: stmt.reader,
    all: timed(stmt.all.bind(stmt)),
    run: timed(stmt.run.bind(stmt)),
    iterate: stmt.iterate.bind(stmt),
  } as DriverStatement;
}

export const dialectOf = (url: string): Dialect => (url.startsWith("file:") ? "sqlite" : "postgres");

/**
 * Runs compiled SQL on SQLite at once, synchronously, with the same cached statements Kysely uses;
 * undefined when a transaction is open on the connection (another request's, held across awaits:
 * the query must then wait its turn through Kysely). better-sqlite3 runs a statement to completion
 * before anything else runs, so outside a transaction this is as isolated as Kysely's own path,
 * without its connection lock and the promises around it (most of a one-row lookup's time).
 */
export type DirectRows = (sql: string, params: readonly unknown[]) => unknown[] | undefined;

const directs = new WeakMap<Kysely<DB>, DirectRows>();

/** The synchronous path of a SQLite database's Kysely instance (none on PostgreSQL). */
export const directRowsOf = (db: Kysely<DB>): DirectRows | undefined => directs.get(db);

/** Runs a read-only query away from the event loop (SQLite: see AsideReader). */
export type AsideRows = (sql: string, params: readonly unknown[]) => Promise<unknown[]>;

const asides = new WeakMap<Kysely<DB>, AsideRows>();

/**
 * A SQLite database's thread for long reads (a count over every account), or undefined: on
 * PostgreSQL the server does the work and the event loop only waits.
 */
export const asideRowsOf = (db: Kysely<DB>): AsideRows | undefined => asides.get(db);

/**
 * How long the database may take. Without them (migrations, the CLI's `migrate`) nothing is cut
 * short but the SQLite lock wait, which keeps its 5 s default.
 */
export type DatabaseTimeouts = {
  /** PostgreSQL: to open a connection, or to wait for a free one in the pool. */
  connectMs: number;
  /** PostgreSQL: for an answer to arrive; past it the query fails and its connection is dropped. */
  queryMs: number;
  /** PostgreSQL's own statement_timeout: the server cancels a statement running longer. */
  statementMs: number;
  /** SQLite: how long to wait for another process's write lock. */
  busyMs: number;
  /**
   * PostgreSQL: how long a probe on a connection of its own may take (PORTICO_READYZ_TIMEOUT_MS).
   * A query or connection waiting longer than a quarter of it starts one; past it the database
   * is taken as down (a frozen server answers nothing and closes nothing). Default: connectMs.
   */
  probeMs?: number;
};

export function openDatabase(
  url: string,
  opts: {
    poolSize?: number;
    timeouts?: DatabaseTimeouts;
    logger?: Logger;
    /** SQLite: checkpoint the WAL on a thread of its own (a server), not in the committing request. */
    backgroundCheckpoints?: boolean;
    /** Told of every statement (telemetry); absent, nothing is timed. */
    observer?: QueryObserver;
  } = {},
): Database {
  const timeouts = opts.timeouts;
  if (dialectOf(url) === "sqlite") {
    const file = url.slice("file:".length);
    if (file !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const handle = new SqliteDatabase(file);
    // WAL lets readers run beside the single writer; busy_timeout makes a second process (a CLI
    // command beside a running server) wait for the lock instead of failing at once.
    const busyMs = timeouts?.busyMs ?? 5000;
    handle.pragma("journal_mode = WAL");
    handle.pragma(`busy_timeout = ${busyMs}`);
    handle.pragma("synchronous = NORMAL");
    handle.pragma("foreign_keys = ON");
    let checkpointer: Checkpointer | null = null;
    if (opts.backgroundCheckpoints && file !== ":memory:") {
      handle.pragma("wal_autocheckpoint = 0");
      handle.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      checkpointer = new Checkpointer(path.resolve(file));
    }
    const statements = withStatementCache(handle, opts.observer);
    const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: statements }) });
    directs.set(db, (text, params) =>
      handle.inTransaction ? undefined : (statements.prepare(text).all(...params) as unknown[]),
    );
    const aside = file === ":memory:" ? null : new AsideReader(path.resolve(file));
    if (aside) asides.set(db, (text, params) => aside.all(text, params));
    // SQLite's outage is another process holding the write lock past the busy timeout (reads still
    // work, so requests are not gated): the probe takes the lock without waiting. A transaction
    // open on this handle holds the lock already.
    const probe = async () => {
      if (handle.inTransaction) return;
      handle.pragma("busy_timeout = 0");
      try {
        handle.exec("begin immediate; rollback");
      } finally {
        handle.pragma(`busy_timeout = ${busyMs}`);
      }
    };
    const availability = new DatabaseAvailability({ probe, gate: false, logger: opts.logger });
    return {
      db,
      dialect: "sqlite",
      availability,
      describe: `sqlite ${path.resolve(file)}`,
      ping: async () => {
        handle.prepare("select 1").get();
      },
      close: async () => {
        availability.close();
        await checkpointer?.close();
        await aside?.close();
        await db.destroy();
      },
    };
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    // TCP keepalives find a connection whose server vanished without closing it.
    keepAlive: true,
    ...(timeouts && {
      connectionTimeoutMillis: timeouts.connectMs,
      query_timeout: timeouts.queryMs,
      statement_timeout: timeouts.statementMs,
    }),
  });
  // An idle client's error (server restart) must not crash the process; the next query reconnects.
  pool.on("error", () => {});
  // The probe opens a connection of its own: the pool's may all be stuck on a silent server.
  const probeMs = timeouts?.probeMs ?? timeouts?.connectMs ?? 5000;
  const probe = async () => {
    const client = new pg.Client({
      connectionString: url,
      connectionTimeoutMillis: probeMs,
      query_timeout: probeMs,
    });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("select 1");
    } catch (err) {
      // A silent server would keep the socket (and end() waiting) open: cut it.
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      throw err;
    } finally {
      client.end().catch(() => {});
    }
  };
  const availability = new DatabaseAvailability({ probe, gate: true, logger: opts.logger });
  // The freeze watch's probe keeps its connection (one more per process than the pool): probing
  // whenever a query is slow must not cost the server a new backend each time.
  let watchClient: pg.Client | null = null;
  const dropWatchClient = () => {
    const c = watchClient;
    watchClient = null;
    (c as unknown as { connection?: { stream?: { destroy(): void } } } | null)?.connection?.stream?.destroy();
    c?.end().catch(() => {});
  };
  const watchProbe = async () => {
    try {
      if (!watchClient) {
        watchClient = new pg.Client({
          connectionString: url,
          connectionTimeoutMillis: probeMs,
          query_timeout: probeMs,
          keepAlive: true,
        });
        watchClient.on("error", () => {});
        await watchClient.connect();
      }
      await watchClient.query("select 1");
    } catch (err) {
      dropWatchClient();
      throw err;
    }
  };
  const watch = timeouts
    ? new FreezeWatch({ probe: watchProbe, probeMs, down: (err) => availability.report(err) })
    : undefined;
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({
      pool: withNamedStatements(pool, () => availability.down, watch, opts.observer),
    }),
  });
  const u = new URL(url);
  u.password = "";
  return {
    db,
    dialect: "postgres",
    availability,
    describe: `postgres ${u.host}${u.pathname}`,
    pool: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: opts.poolSize ?? 10,
    }),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    close: async () => {
      availability.close();
      watch?.close();
      dropWatchClient();
      await db.destroy();
    },
  };
}

/** Tells `observe` how long a statement sent to PostgreSQL took once it settles. */
function timed(
  sent: Promise<pg.QueryResult>,
  config: unknown,
  startedAt: number,
  observe: QueryObserver,
): Promise<pg.QueryResult> {
  const text = typeof config === "string" ? config : ((config as { text?: string }).text ?? "");
  return sent.then(
    (result) => {
      observe(text, startedAt, false);
      return result;
    },
    (err: unknown) => {
      observe(text, startedAt, true);
      throw err;
    },
  );
}

const isStalePlan = (err: unknown) =>
  (err as { code?: string }).code === "0A000" && /cached plan/.test((err as Error).message);

/** Named statements one connection keeps at most; beyond that, queries go unnamed. */
const MAX_NAMED_PER_CONNECTION = 1000;

/**
 * Named prepared statements on PostgreSQL: the server parses and plans a statement once per
 * connection instead of on every query, which took about a third of a one-row lookup's round
 * trip. Names follow the SQL text. A table changed under a prepared statement (a migration by a
 * newer node) fails it with "cached plan must not change result type": the connection then
 * prepares under fresh names, and a query outside a transaction is retried once, so a rolling
 * upgrade does not surface as errors.
 */
function withNamedStatements(
  pool: pg.Pool,
  down: () => boolean,
  watch?: FreezeWatch,
  observe?: QueryObserver,
): pg.Pool {
  const patched = new WeakSet<pg.PoolClient>();
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const patch = (client: pg.PoolClient) => {
    // A checked-out client whose connection the server ends (a restart, a failover, an idle
    // timeout) emits `error`; unheard, that ends the process. The query in flight fails instead,
    // and the pool drops the client when it is released.
    client.on("error", () => {});
    // A query that timed out may still be running on a server that stopped answering: the
    // connection is given up rather than reused (the pool closes a client released with an error).
    let broken: Error | undefined;
    const release = client.release.bind(client);
    client.release = (err?: Error | boolean) => release(err || broken);
    const send = client.query.bind(client) as (config: unknown, values?: unknown) => Promise<pg.QueryResult>;
    const query = (config: unknown, values?: unknown) => {
      // During an outage nothing is sent: the connection may be mid-transaction on a server that
      // does not answer, so it is given up rather than reused.
      if (broken) return Promise.reject(broken);
      if (down()) {
        broken = new DatabaseUnavailableError();
        return Promise.reject(broken);
      }
      const startedAt = observe ? performance.now() : 0;
      let sent = send(config, values).catch((err: Error) => {
        if (err.message === "Query read timeout") broken = err;
        throw err;
      });
      if (observe) sent = timed(sent, config, startedAt, observe);
      if (!watch) return sent;
      return watch.track(sent, () => {
        broken = new DatabaseUnavailableError();
      });
    };
    const names = new Map<string, string>();
    let generation = 0;
    let inTransaction = false;
    const nameOf = (text: string) => {
      let name = names.get(text);
      if (name === undefined && names.size < MAX_NAMED_PER_CONNECTION) {
        name = `portico_${generation}_${names.size}`;
        names.set(text, name);
      }
      return name;
    };
    (client as { query: unknown }).query = async (config: unknown, values?: unknown) => {
      if (typeof config !== "string") return query(config, values);
      const verb = config.slice(0, 8).toLowerCase();
      if (verb.startsWith("begin") || verb.startsWith("start")) inTransaction = true;
      else if (verb.startsWith("commit") || verb.startsWith("rollback")) inTransaction = false;
      if (!Array.isArray(values) || values.length === 0) return query(config, values);
      const name = nameOf(config);
      if (name === undefined) return query(config, values);
      try {
        return await query({ name, text: config, values });
      } catch (err) {
        if (!isStalePlan(err)) throw err;
        generation++;
        names.clear();
        if (inTransaction) throw err;
        return query({ name: nameOf(config), text: config, values });
      }
    };
  };
  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== "connect") return Reflect.get(target, prop, receiver);
      return async () => {
        // During an outage a request fails at once instead of waiting for the connect timeout.
        if (down()) throw new DatabaseUnavailableError();
        const client = watch
          ? await watch.track(connect(), undefined, (late) => late.release(true))
          : await connect();
        if (!patched.has(client)) {
          patch(client);
          patched.add(client);
        }
        return client;
      };
    },
  });
}
