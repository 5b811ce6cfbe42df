import { CompiledQuery, type Kysely, type RawBuilder, sql } from "kysely";
import type { Logger } from "pino";
import type { Dialect } from "../db/database.js";
import {
  calledPath,
  decodeAccount,
  encodeAccount,
  joinProviderUrl,
  splitProviderUrl,
  storedPath,
} from "./request-log-codec.js";
import { RequestLogDays } from "./request-log-days.js";
import {
  DAY_MS,
  dayOf,
  dayTable,
  dbId,
  EPOCH_MS,
  type IdParts,
  idAt,
  LOW_MASK,
  parseWireId,
  RequestIds,
  WRITER_TAGS,
  wireId,
} from "./request-log-ids.js";
import { HOSTS, KEYS, LookupCache, ROUTES, SEP } from "./request-log-lookups.js";

// biome-ignore lint/suspicious/noExplicitAny: the log's tables are named by day, queried with raw SQL.
type AnyKysely = Kysely<any>;

/**
 * One API or proxied call as the request hook records it (in memory, until the next write):
 * never a body, a header value, a query value or a credential. `id` is the request's own id,
 * made when it started (request-log-ids.ts), which also says when.
 */
export type RequestRecord = {
  id: string;
  project_id: string;
  duration_ms: number;
  method: string;
  /** The API area called: connect_sessions, accounts, connectors, proxy, webhooks, request_logs. */
  service: string;
  /** The route pattern (`/accounts/:id`); `path` is the path called, without its query string. */
  route: string;
  path: string;
  status: number;
  key_id: string | null;
  key_prefix: string | null;
  account_id: string | null;
  provider: string | null;
  provider_method: string | null;
  provider_path: string | null;
  provider_url: string | null;
  provider_status: number | null;
  /** Portico's own error message when the call failed before or without the provider's answer. */
  error: string | null;
  /** JSON of every attempt when the proxy retried (status, start, duration); null: one attempt. */
  provider_steps: string | null;
};

/** A record read back: every field as recorded, with its start time. */
export type RequestLogRow = RequestRecord & { created_at: number };

/** The request log's sortable columns (StackOne's `order_by` values map onto them). */
export const REQUEST_LOG_ORDER = {
  eventDatetime: "created_at",
  duration: "duration_ms",
  status: "status",
  provider: "provider",
  service: "service",
} as const;
export type RequestLogOrder = keyof typeof REQUEST_LOG_ORDER;
export type Direction = "asc" | "desc";

export type RequestLogFilter = {
  accountIds?: string[];
  providers?: string[];
  methods?: string[];
  ids?: string[];
  services?: string[];
  statuses?: number[];
  success?: boolean;
  keyIds?: string[];
  /** Only proxied calls (with a provider answer or a proxy error). */
  proxiedOnly?: boolean;
  from?: number;
  to?: number;
};

/** Where a keyset page starts: after the row with this sort value and id. */
export type After = { value: string | number; id: IdParts };

/** SQLite allows 32766 bound values per statement; PostgreSQL 65535. Rows of 13 columns: 512 each. */
const INSERT_CHUNK = 512;

/**
 * A batch of n rows as INSERTs of power-of-two sizes (512s, then the binary digits of the rest):
 * every distinct size is a statement prepared and kept, on SQLite and on each PostgreSQL
 * connection, and a multi-row INSERT of hundreds of rows is a large program. One statement per
 * batch size grew the server's memory by about 150 bytes a request under load, without end;
 * ten sizes cost a batch at most nine more statements.
 */
export function insertChunks(n: number): number[] {
  const sizes: number[] = [];
  for (; n >= INSERT_CHUNK; n -= INSERT_CHUNK) sizes.push(INSERT_CHUNK);
  for (let size = INSERT_CHUNK / 2; size >= 1; size /= 2) if (n & size) sizes.push(size);
  return sizes;
}

const COLUMNS = [
  "id",
  "key",
  "duration",
  "route",
  "status",
  "host",
  "provider_status",
  "account",
  "provider_path",
  "path",
  "provider_url",
  "error",
  "provider_steps",
] as const;

/**
 * PostgreSQL takes a batch as one array a column: one statement text (prepared once per
 * connection) for batches of any size, and a twelfth of the bound parameters to serialize.
 */
const PG_INSERT = `insert into request_log (${COLUMNS.join(", ")})
  select * from unnest($1::bigint[], $2::int[], $3::int[], $4::smallint[], $5::smallint[], $6::int[],
    $7::smallint[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])`;

/** A record ready to store: its id, the references of its lookup values, and the columns it keeps. */
export type Encoded = {
  parts: IdParts;
  /** The key's reference (LookupCache.ref of project, key id, key prefix). */
  keyRef: string;
  /** The route's reference (method, route pattern, provider method). */
  routeRef: string;
  /** The provider and URL prefix's reference; null when no provider was called. */
  hostRef: string | null;
  account: string | null;
  path: string | null;
  providerUrl: string | null;
  record: RequestRecord;
};

/**
 * The reference of three strings, kept from the last call: nearly every record of a batch names
 * the same key, and a run of them the same route, so most records join nothing.
 */
class LastRef {
  private a: string | null = null;
  private b = "";
  private c = "";
  private ref = "";

  of(a: string, b: string, c: string): string {
    if (a !== this.a || b !== this.b || c !== this.c) {
      this.a = a;
      this.b = b;
      this.c = c;
      this.ref = a + SEP + b + SEP + c;
    }
    return this.ref;
  }
}

/** Ids for records whose request id is not one of this layout (an app built without `genReqId`). */
const strays = new RequestIds();
strays.setWriter(Math.floor(Math.random() * WRITER_TAGS));

const keyValues = (e: Encoded) => [e.record.project_id, e.record.key_id ?? "", e.record.key_prefix ?? ""];
const routeValues = (e: Encoded) => [
  e.record.method,
  e.record.route,
  e.record.provider_method ?? "",
  e.record.service,
];
const hostValues = (e: Encoded) => e.hostRef!.split(SEP);

/** What a read selects: the row's own columns and its lookups' values. */
const SELECT = `(r.id >> 22) as ms, (r.id & ${LOW_MASK}) as low, r.duration, r.status, r.account,
  r.provider_status, r.provider_path, r.path, r.provider_url, r.error, r.provider_steps, k.project_id, k.key_id,
  k.key_prefix, rt.method, rt.route, rt.service, rt.provider_method, h.provider, h.prefix`;
const JOINS = `join request_log_keys k on k.id = r.key
  join request_log_routes rt on rt.id = r.route
  left join request_log_hosts h on h.id = r.host`;

type ReadRow = {
  ms: number;
  low: number;
  duration: number;
  status: number;
  account: string | null;
  provider_status: number | null;
  provider_path: string | null;
  path: string | null;
  provider_url: string | null;
  error: string | null;
  provider_steps: string | null;
  project_id: string;
  key_id: string;
  key_prefix: string;
  method: string;
  route: string;
  service: string;
  provider_method: string;
  provider: string | null;
  prefix: string | null;
};

function decode(r: ReadRow): RequestLogRow {
  const ms = Number(r.ms) + EPOCH_MS;
  const accountId = decodeAccount(r.account);
  return {
    id: wireId(ms, Number(r.low)),
    project_id: r.project_id,
    created_at: ms,
    duration_ms: Number(r.duration),
    method: r.method,
    service: r.service,
    route: r.route,
    path: calledPath(r.path, r.route, accountId),
    status: Number(r.status),
    key_id: r.key_id || null,
    key_prefix: r.key_prefix || null,
    account_id: accountId,
    provider: r.provider ?? null,
    provider_method: r.provider_method || null,
    provider_path: r.provider_path,
    provider_url: joinProviderUrl(r.prefix, r.provider_url, r.provider_path),
    provider_status: r.provider_status === null ? null : Number(r.provider_status),
    error: r.error,
    provider_steps: r.provider_steps,
  };
}

/**
 * The request log's storage (issue 22): a row of small integers a request, its text in lookup
 * tables, whole days dropped by retention. See migration 012 for the PostgreSQL layout and
 * request-log-schema.ts for SQLite's own file. The same reads run on both: a page in time order
 * walks the days newest first, each day through the index of the caller's keys (or of the
 * accounts asked for), and stops when the page is full.
 */
export class RequestLogStore {
  readonly days: RequestLogDays;
  private readonly keys = new LookupCache(KEYS);
  private readonly routes = new LookupCache(ROUTES);
  private readonly hosts = new LookupCache(HOSTS);
  private readonly insertTexts = new Map<string, string>();
  private readonly lastKey = new LastRef();
  private readonly lastRoute = new LastRef();

  constructor(
    readonly db: AnyKysely,
    readonly dialect: Dialect,
    logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.days = new RequestLogDays(db, dialect, logger, now);
  }

  /** A writer tag for this process's ids, different from every other process's (mod 1024). */
  async claimWriter(): Promise<number> {
    const { rows } =
      this.dialect === "postgres"
        ? await sql<{ n: number }>`select nextval('request_log_writers') as n`.execute(this.db)
        : await sql<{ n: number }>`update request_log_writers set n = n + 1 returning n`.execute(this.db);
    return Number(rows[0]!.n) % WRITER_TAGS;
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Writes a batch of records in one transaction. Lookup values the process has not seen are
   * found or added first, in their own statements (committed whatever happens to the batch, so
   * no row ever names a lookup that is not there), and the days the batch falls on are made.
   */
  async insertBatch(records: RequestRecord[]): Promise<void> {
    if (!records.length) return;
    const rows = await this.prepare(records);
    await this.db.transaction().execute((trx) => this.insertEncoded(trx, rows, false));
  }

  /** Encodes records, resolving their lookups and making their days. */
  async prepare(records: RequestRecord[]): Promise<Encoded[]> {
    const rows = records.map((r) => this.encode(r));
    await this.keys.resolve(this.db, rows, (e) => e.keyRef, keyValues);
    await this.routes.resolve(this.db, rows, (e) => e.routeRef, routeValues);
    await this.hosts.resolve(this.db, rows, (e) => e.hostRef, hostValues);
    let last = Number.NaN;
    for (const r of rows) {
      const day = dayOf(r.parts.ms);
      if (day === last) continue;
      last = day;
      await this.days.ensure(day);
    }
    return rows;
  }

  private encode(r: RequestRecord): Encoded {
    const parts = parseWireId(r.id) ?? strays.nextParts();
    const url = r.provider_url === null ? null : splitProviderUrl(r.provider_url, r.provider_path);
    return {
      parts,
      keyRef: this.lastKey.of(r.project_id, r.key_id ?? "", r.key_prefix ?? ""),
      routeRef: this.lastRoute.of(r.method, r.route, r.provider_method ?? ""),
      hostRef: r.provider === null ? null : r.provider + SEP + (url?.prefix ?? ""),
      account: encodeAccount(r.account_id),
      path: storedPath(r.path, r.route, r.account_id),
      providerUrl: url?.rest ?? null,
      record: r,
    };
  }

  /**
   * INSERTs of encoded rows on `ex`: into the partitioned table on PostgreSQL, into each day's
   * table on SQLite. `ignoreExisting` skips rows whose id is there already (moving old rows twice).
   */
  async insertEncoded(ex: AnyKysely, rows: Encoded[], ignoreExisting: boolean): Promise<void> {
    const groups = new Map<string, Encoded[]>();
    for (const r of rows) {
      const table = this.dialect === "postgres" ? "request_log" : dayTable(dayOf(r.parts.ms));
      const group = groups.get(table);
      if (group) group.push(r);
      else groups.set(table, [r]);
    }
    for (const [table, group] of groups) {
      if (this.dialect === "postgres") {
        await ex.executeQuery(CompiledQuery.raw(PG_INSERT, this.columnArrays(group)));
        continue;
      }
      let i = 0;
      for (const size of insertChunks(group.length)) {
        const params: unknown[] = [];
        for (const r of group.slice(i, i + size)) {
          const rec = r.record;
          params.push(
            dbId(r.parts),
            this.keys.get(r.keyRef),
            rec.duration_ms,
            this.routes.get(r.routeRef),
            rec.status,
            r.hostRef === null ? null : this.hosts.get(r.hostRef),
            rec.provider_status,
            r.account,
            rec.provider_path,
            r.path,
            r.providerUrl,
            rec.error,
            rec.provider_steps,
          );
        }
        await ex.executeQuery(CompiledQuery.raw(this.insertText(table, size, ignoreExisting), params));
        i += size;
      }
    }
  }

  /** A batch as one array a column (PostgreSQL's `unnest`). */
  private columnArrays(rows: Encoded[]): unknown[][] {
    const columns: unknown[][] = COLUMNS.map(() => new Array(rows.length));
    rows.forEach((r, i) => {
      const rec = r.record;
      columns[0]![i] = dbId(r.parts);
      columns[1]![i] = this.keys.get(r.keyRef);
      columns[2]![i] = rec.duration_ms;
      columns[3]![i] = this.routes.get(r.routeRef);
      columns[4]![i] = rec.status;
      columns[5]![i] = r.hostRef === null ? null : this.hosts.get(r.hostRef);
      columns[6]![i] = rec.provider_status;
      columns[7]![i] = r.account;
      columns[8]![i] = rec.provider_path;
      columns[9]![i] = r.path;
      columns[10]![i] = r.providerUrl;
      columns[11]![i] = rec.error;
      columns[12]![i] = rec.provider_steps;
    });
    return columns;
  }

  private insertText(table: string, rows: number, ignore: boolean): string {
    const cacheKey = `${table} ${rows} ${ignore}`;
    let text = this.insertTexts.get(cacheKey);
    if (text === undefined) {
      const width = COLUMNS.length;
      const tuple = (r: number) =>
        `(${COLUMNS.map((_, c) => (this.dialect === "postgres" ? `$${r * width + c + 1}` : "?")).join(", ")})`;
      const verb = ignore && this.dialect === "sqlite" ? "insert or ignore" : "insert";
      text = `${verb} into ${table} (${COLUMNS.join(", ")}) values ${Array.from({ length: rows }, (_, r) => tuple(r)).join(", ")}`;
      // Day tables come and go: texts of days past are not kept.
      if (this.insertTexts.size > 100) this.insertTexts.clear();
      this.insertTexts.set(cacheKey, text);
    }
    return text;
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The lookup ids of a project's keys (of those given, when given). */
  private async projectKeys(projectId: string, keyIds?: string[]): Promise<number[]> {
    let q = sql`select id from request_log_keys where project_id = ${projectId}`;
    if (keyIds?.length) q = sql`${q} and key_id in (${sql.join(keyIds)})`;
    const { rows } = await q.execute(this.db);
    return rows.map((r) => Number((r as { id: number }).id));
  }

  /** One request of a project by id. */
  async get(projectId: string, id: IdParts): Promise<RequestLogRow | undefined> {
    const table = await this.tableFor(dayOf(id.ms));
    if (!table) return undefined;
    const rows = await this.read(
      sql<ReadRow>`select ${sql.raw(SELECT)} from ${sql.table(table)} r ${sql.raw(JOINS)}
        where r.id = ${dbId(id)} and k.project_id = ${projectId}`,
    );
    return rows[0] && decode(rows[0]);
  }

  /** The table a day's rows are read from (the partitioned table on PostgreSQL), if the day exists. */
  private async tableFor(day: number): Promise<string | null> {
    if (this.dialect === "postgres") return "request_log";
    return (await this.days.list()).includes(day) ? dayTable(day) : null;
  }

  /** One keyset page of a project's requests, in the requested order, ties broken by id. */
  async list(
    projectId: string,
    f: RequestLogFilter,
    order: RequestLogOrder,
    direction: Direction,
    limit: number,
    after?: After,
  ): Promise<RequestLogRow[]> {
    const keys = await this.projectKeys(projectId, f.keyIds);
    if (!keys.length) return [];
    let ids: IdParts[] | undefined;
    if (f.ids?.length) {
      ids = f.ids.map(parseWireId).filter((p): p is IdParts => p !== null);
      if (!ids.length) return [];
    }
    // [lo, hi): the time filter, as ids.
    let lo = f.from !== undefined ? idAt(f.from) : 0n;
    let hi = f.to !== undefined ? idAt(f.to + 1) : 2n ** 63n - 1n;
    if (ids) {
      const sorted = ids.map(dbId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (sorted[0]! > lo) lo = sorted[0]!;
      if (sorted.at(-1)! + 1n < hi) hi = sorted.at(-1)! + 1n;
    }
    if (lo >= hi) return [];
    const conditions = this.filterConditions(f, ids);
    const days = (await this.days.list()).filter((d) => idAt((d + 1) * DAY_MS) > lo && idAt(d * DAY_MS) < hi);
    if (!days.length) return [];
    if (order === "eventDatetime")
      return this.timePage(days, keys, f, conditions, lo, hi, direction, limit, after);
    return this.sortedPage(days, keys, f, conditions, lo, hi, order, direction, limit, after);
  }

  /** Conditions on a day's rows beside the time range and the project's keys. */
  private filterConditions(f: RequestLogFilter, ids: IdParts[] | undefined): RawBuilder<unknown>[] {
    const c: RawBuilder<unknown>[] = [];
    if (ids) c.push(sql`id in (${sql.join(ids.map(dbId))})`);
    if (f.statuses?.length) c.push(sql`status in (${sql.join(f.statuses)})`);
    // Failed calls have an index of their own: say so whenever only failures can match.
    const failuresOnly = f.success === false || (f.statuses?.length && f.statuses.every((s) => s >= 400));
    if (failuresOnly) c.push(sql`status >= 400`);
    if (f.success === true) c.push(sql`status < 400`);
    const routes = (column: string, values: string[]) =>
      sql`route in (select id from request_log_routes where ${sql.ref(column)} in (${sql.join(values)}))`;
    if (f.methods?.length) c.push(routes("method", f.methods));
    if (f.services?.length) c.push(routes("service", f.services));
    if (f.proxiedOnly) c.push(routes("service", ["proxy"]));
    if (f.providers?.length)
      c.push(sql`host in (select id from request_log_hosts where provider in (${sql.join(f.providers)}))`);
    return c;
  }

  /** The condition that finds an account's rows through its index. */
  private accountMatch(account: string): RawBuilder<unknown> {
    return this.dialect === "postgres"
      ? sql`hashtext(account) = hashtext(${account}::text) and account = ${account}`
      : sql`account = ${account}`;
  }

  /**
   * A page in time order: day by day (newest first for desc), each day one statement that takes
   * the first rows of each key's (or each account's) index in order and merges them.
   */
  private async timePage(
    days: number[],
    keys: number[],
    f: RequestLogFilter,
    conditions: RawBuilder<unknown>[],
    lo: bigint,
    hi: bigint,
    direction: Direction,
    limit: number,
    after?: After,
  ): Promise<RequestLogRow[]> {
    const desc = direction === "desc";
    if (after) {
      const cursor = dbId(after.id);
      if (desc && cursor < hi) hi = cursor;
      if (!desc && cursor + 1n > lo) lo = cursor + 1n;
      if (lo >= hi) return [];
    }
    const accounts = f.accountIds?.length ? [...new Set(f.accountIds.map((a) => encodeAccount(a)!))] : null;
    const streams = accounts
      ? accounts.map((a) => sql`${this.accountMatch(a)} and key in (${sql.join(keys)})`)
      : keys.map((k) => sql`key = ${k}`);
    const dir = sql.raw(desc ? "desc" : "asc");
    // PostgreSQL's indexes hold a time bucket (id >> 36) beside the key: ordering by it first lets
    // the index give rows in order and sort only the newest bucket's (migration 012).
    const orderBy = this.dialect === "postgres" ? sql`(id >> 36)::int ${dir}, id ${dir}` : sql`id ${dir}`;
    const walk = desc ? [...days].reverse() : days;
    // The newest day (oldest, ascending) fills a page of a busy stream by itself, and the next one
    // does just after midnight; a sparse stream (a cold account, a quiet key) gets every other day
    // in one statement rather than a statement a day. Days made ahead (empty until they come) go
    // with today.
    const today = dayOf(this.now());
    const ahead = desc ? walk.findIndex((d) => d <= today) : 0;
    const first = ahead === -1 ? walk.length : ahead + 1;
    const groups = [walk.slice(0, first), walk.slice(first, first + 1), walk.slice(first + 1)].filter(
      (g) => g.length,
    );
    const out: RequestLogRow[] = [];
    for (const group of groups) {
      const need = limit - out.length;
      const bounds = (first: number, last: number) => {
        const a = idAt(first * DAY_MS);
        const b = idAt((last + 1) * DAY_MS);
        return [a > lo ? a : lo, b < hi ? b : hi] as const;
      };
      const where = (stream: RawBuilder<unknown>, from: bigint, to: bigint) => {
        const range =
          this.dialect === "postgres"
            ? sql`id >= ${from} and id < ${to} and (id >> 36)::int between ${Number(from >> 36n)} and ${Number((to - 1n) >> 36n)}`
            : sql`id >= ${from} and id < ${to}`;
        return sql`${range} and ${stream}${sql.join(
          conditions.map((c) => sql` and ${c}`),
          sql``,
        )} order by ${orderBy} limit ${need}`;
      };
      const members: RawBuilder<unknown>[] = [];
      if (this.dialect === "postgres") {
        // One range over the group's partitions: PostgreSQL merges them.
        const [from, to] = bounds(Math.min(...group), Math.max(...group));
        if (from >= to) continue;
        for (const stream of streams)
          members.push(sql`select * from request_log where ${where(stream, from, to)}`);
      } else {
        for (const day of group) {
          const [from, to] = bounds(day, day);
          if (from >= to) continue;
          for (const stream of streams)
            members.push(sql`select * from ${sql.table(dayTable(day))} where ${where(stream, from, to)}`);
        }
      }
      if (!members.length) continue;
      const rows = await this.read(
        sql<ReadRow>`select ${sql.raw(SELECT)} from (${sql.join(
          members.map((m, i) => sql`select * from (${m}) ${sql.raw(`s${i}`)}`),
          sql` union all `,
        )}) r ${sql.raw(JOINS)} order by r.id ${dir} limit ${need}`,
      );
      for (const r of rows) out.push(decode(r));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** A page in another order (duration, status, provider, service): every matching row is sorted. */
  private async sortedPage(
    days: number[],
    keys: number[],
    f: RequestLogFilter,
    conditions: RawBuilder<unknown>[],
    lo: bigint,
    hi: bigint,
    order: Exclude<RequestLogOrder, "eventDatetime">,
    direction: Direction,
    limit: number,
    after?: After,
  ): Promise<RequestLogRow[]> {
    const where = [sql`id >= ${lo}`, sql`id < ${hi}`, sql`key in (${sql.join(keys)})`, ...conditions];
    if (f.accountIds?.length) {
      const accounts = [...new Set(f.accountIds.map((a) => encodeAccount(a)!))];
      where.push(
        sql`(${sql.join(
          accounts.map((a) => sql`(${this.accountMatch(a)})`),
          sql` or `,
        )})`,
      );
    }
    const filtered = (table: string) =>
      sql`select * from ${sql.table(table)} where ${sql.join(where, sql` and `)}`;
    const source =
      this.dialect === "postgres"
        ? filtered("request_log")
        : sql.join(
            days.map((d) => filtered(dayTable(d))),
            sql` union all `,
          );
    // Nullable text sorts as '' so both dialects order NULLs alike and the keyset can compare them.
    const key = {
      duration: sql`r.duration`,
      status: sql`r.status`,
      provider: sql`coalesce(h.provider, '')`,
      service: sql`rt.service`,
    }[order];
    const dir = sql.raw(direction === "desc" ? "desc" : "asc");
    const keyset = after
      ? sql`where (${key}, r.id) ${sql.raw(direction === "desc" ? "<" : ">")} (${after.value}, ${dbId(after.id)})`
      : sql``;
    const rows = await this.read(
      sql<ReadRow>`select ${sql.raw(SELECT)} from (${source}) r ${sql.raw(JOINS)} ${keyset}
        order by ${key} ${dir}, r.id ${dir} limit ${limit}`,
    );
    return rows.map(decode);
  }

  /**
   * Runs a read; on SQLite a day dropped by another process meanwhile (retention) is read as
   * empty, after the list of days is refreshed.
   */
  private async read(query: RawBuilder<ReadRow>): Promise<ReadRow[]> {
    try {
      return (await query.execute(this.db)).rows;
    } catch (err) {
      if (this.dialect === "sqlite" && /no such table: request_log_\d{8}/.test((err as Error).message)) {
        this.days.invalidate();
        return [];
      }
      throw err;
    }
  }

  // ---- retention ------------------------------------------------------------------------------

  /** Drops every day entirely older than `before`: whole partitions or tables, never a DELETE. */
  dropBefore(before: number): Promise<string[]> {
    return this.days.dropBefore(before);
  }
}
