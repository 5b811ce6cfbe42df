import {
  CompiledQuery,
  type Expression,
  type Insertable,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
  type Transaction,
} from "kysely";
import type { AccountEventsTable, AuditLogTable, DB, RequestLogTable } from "../db/schema.js";
import { idsBefore } from "./sortable-id.js";

export type AccountEventRow = Selectable<AccountEventsTable>;
export type RequestLogRow = Selectable<RequestLogTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type Executor = Kysely<DB> | Transaction<DB>;

export type DailyCount = { project_id: string; metric: string; day: number; count: number };

/** Where a keyset page starts: after the row with this sort value and id. */
export type After = { value: string | number; id: string };
export type Direction = "asc" | "desc";

/** The request log's sortable columns (StackOne's `order_by` values map onto them). */
export const REQUEST_LOG_ORDER = {
  eventDatetime: "created_at",
  duration: "duration_ms",
  status: "status",
  provider: "provider",
  service: "service",
} as const;
export type RequestLogOrder = keyof typeof REQUEST_LOG_ORDER;

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

export type EventFilter = { type?: string; accountId?: string; from?: number; to?: number };

export type AuditFilter = {
  projectId?: string;
  /**
   * With projectId: that project's entries, its organization's own (console users, sign-ins) and
   * the installation's (break-glass links from a shell, which name no organization). Alone: the
   * organization's own entries.
   */
  organizationId?: number;
  from?: number;
  to?: number;
  /** An API key's id, a console session's id, or "cli". */
  actorId?: string;
  /** What was changed: an account, a key, an endpoint, a provider. */
  targetId?: string;
};

/** SQLite allows 32766 bound values per statement; PostgreSQL 65535. Rows of 20 columns: 512 each. */
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

const REQUEST_LOG_COLUMNS = [
  "id",
  "project_id",
  "created_at",
  "duration_ms",
  "method",
  "service",
  "route",
  "path",
  "status",
  "key_id",
  "key_prefix",
  "account_id",
  "provider",
  "provider_method",
  "provider_path",
  "provider_url",
  "provider_status",
  "error",
  "provider_steps",
] as const satisfies readonly (keyof RequestLogRow)[];

/** Persistence of the history: account events, the request log, the audit log, daily counters. */
export class HistoryStore {
  private readonly insertTexts = new Map<number, string>();

  constructor(private readonly db: Kysely<DB>) {}

  async insertAccountEvents(ex: Executor, rows: AccountEventRow[]): Promise<void> {
    if (rows.length) await ex.insertInto("account_events").values(rows).execute();
  }

  async insertAudit(ex: Executor, row: Insertable<AuditLogTable>): Promise<void> {
    await ex.insertInto("audit_log").values(row).execute();
  }

  /**
   * A batch of request-log rows and counter increments, in one transaction of multi-row INSERTs.
   * The INSERT's text is built once per row count: building it for every batch cost more than
   * the database's own work.
   */
  async insertBatch(requests: RequestLogRow[], counts: DailyCount[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      let i = 0;
      for (const size of insertChunks(requests.length)) {
        const params: unknown[] = [];
        for (const row of requests.slice(i, i + size))
          for (const column of REQUEST_LOG_COLUMNS) params.push(row[column]);
        await trx.executeQuery(CompiledQuery.raw(this.requestInsert(size), params));
        i += size;
      }
      if (counts.length)
        await trx
          .insertInto("history_daily")
          .values(counts)
          .onConflict((oc) =>
            oc.columns(["project_id", "metric", "day"]).doUpdateSet((eb) => ({
              count: sql`${eb.ref("history_daily.count")} + ${eb.ref("excluded.count")}`,
            })),
          )
          .execute();
    });
  }

  private requestInsert(rows: number): string {
    let text = this.insertTexts.get(rows);
    if (text === undefined) {
      const template = Object.fromEntries(
        REQUEST_LOG_COLUMNS.map((c) => [c, null]),
      ) as unknown as RequestLogRow;
      text = this.db.insertInto("request_log").values(Array(rows).fill(template)).compile().sql;
      this.insertTexts.set(rows, text);
    }
    return text;
  }

  /** A project's events, newest first, of one type or account when given. */
  events(projectId: string, f: EventFilter, limit: number, before?: After) {
    let q = this.db.selectFrom("account_events").selectAll().where("project_id", "=", projectId);
    if (f.type) q = q.where("type", "=", f.type);
    if (f.accountId) q = q.where("account_id", "=", f.accountId);
    if (f.from !== undefined) q = q.where("created_at", ">=", f.from);
    if (f.to !== undefined) q = q.where("created_at", "<=", f.to);
    if (before) q = q.where(keyset("created_at", "desc", before));
    return q.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
  }

  /** Events of one type per UTC day since `fromDay` (days since the epoch). */
  async eventsPerDay(projectId: string, type: string, fromDay: number): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom("account_events")
      .select([sql<number>`created_at / 86400000`.as("day"), (eb) => eb.fn.countAll<number>().as("n")])
      .where("project_id", "=", projectId)
      .where("type", "=", type)
      .where("created_at", ">=", fromDay * 86_400_000)
      .groupBy(sql`created_at / 86400000`)
      .execute();
    return new Map(rows.map((r) => [Number(r.day), Number(r.n)]));
  }

  async countEvents(projectId: string, type: string, from: number): Promise<number> {
    const row = await this.db
      .selectFrom("account_events")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("project_id", "=", projectId)
      .where("type", "=", type)
      .where("created_at", ">=", from)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async daily(projectId: string, metric: string, fromDay: number): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom("history_daily")
      .select(["day", "count"])
      .where("project_id", "=", projectId)
      .where("metric", "=", metric)
      .where("day", ">=", fromDay)
      .execute();
    return new Map(rows.map((r) => [Number(r.day), Number(r.count)]));
  }

  requestLog(projectId: string, id: string): Promise<RequestLogRow | undefined> {
    return this.db
      .selectFrom("request_log")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /** One keyset page of a project's request log, in the requested order, ties broken by id. */
  requestLogs(
    projectId: string,
    f: RequestLogFilter,
    order: RequestLogOrder,
    direction: Direction,
    limit: number,
    after?: After,
  ): Promise<RequestLogRow[]> {
    const column = REQUEST_LOG_ORDER[order];
    let q = this.db.selectFrom("request_log").selectAll().where("project_id", "=", projectId);
    if (f.accountIds?.length) q = q.where("account_id", "in", f.accountIds);
    if (f.providers?.length) q = q.where("provider", "in", f.providers);
    if (f.methods?.length) q = q.where("method", "in", f.methods);
    if (f.ids?.length) q = q.where("id", "in", f.ids);
    if (f.services?.length) q = q.where("service", "in", f.services);
    if (f.statuses?.length) q = q.where("status", "in", f.statuses);
    if (f.keyIds?.length) q = q.where("key_id", "in", f.keyIds);
    if (f.success !== undefined) q = q.where("status", f.success ? "<" : ">=", 400);
    if (f.proxiedOnly) q = q.where("service", "=", "proxy");
    if (f.from !== undefined) q = q.where("created_at", ">=", f.from);
    if (f.to !== undefined) q = q.where("created_at", "<=", f.to);
    if (after) q = q.where(keyset(column, direction, after));
    // Nullable text sorts as '' so both dialects order NULLs alike and the keyset can compare them.
    const sortKey = column === "provider" ? sql`coalesce(provider, '')` : sql.ref(column);
    return q.orderBy(sortKey, direction).orderBy("id", direction).limit(limit).execute();
  }

  audit(f: AuditFilter, limit: number, after?: After): Promise<AuditRow[]> {
    let q = this.db.selectFrom("audit_log").selectAll();
    const { projectId, organizationId } = f;
    if (projectId && organizationId !== undefined)
      q = q.where((eb) =>
        eb.or([
          eb("project_id", "=", projectId),
          eb.and([
            eb("project_id", "is", null),
            eb.or([eb("organization_id", "=", organizationId), eb("organization_id", "is", null)]),
          ]),
        ]),
      );
    else if (projectId) q = q.where("project_id", "=", projectId);
    else if (organizationId !== undefined)
      q = q.where("project_id", "is", null).where("organization_id", "=", organizationId);
    if (f.actorId) q = q.where("actor_id", "=", f.actorId);
    if (f.targetId) q = q.where("target_id", "=", f.targetId);
    if (f.from !== undefined) q = q.where("created_at", ">=", f.from);
    if (f.to !== undefined) q = q.where("created_at", "<=", f.to);
    if (after) q = q.where(keyset("created_at", "desc", after));
    return q.orderBy("created_at", "desc").orderBy("id", "desc").limit(limit).execute();
  }

  /**
   * Deletes up to `batch` rows older than `before` from one history table, oldest first, and says
   * how many went. Small batches keep each transaction short beside live traffic.
   */
  async purgeBatch(
    table: "account_events" | "request_log" | "audit_log",
    before: number,
    batch: number,
  ): Promise<number> {
    // Request-log ids begin with their time (sortable-id.ts): the primary key serves the range,
    // so that busiest table needs no index on time of its own.
    const [column, bound] =
      table === "request_log"
        ? (["id", idsBefore("req_", before)] as const)
        : (["created_at", before] as const);
    // The three tables share `id` and `created_at`: typed as one of them, the query is the same.
    const oldest = this.db
      .selectFrom(table as "account_events")
      .select("id")
      .where(column, "<", bound)
      .orderBy(column)
      .limit(batch);
    const res = await this.db
      .deleteFrom(table as "account_events")
      .where("id", "in", oldest)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  async purgeDaily(beforeDay: number): Promise<number> {
    const res = await this.db.deleteFrom("history_daily").where("day", "<", beforeDay).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

/** `(column, id) < (value, id)` for a descending page, `>` for an ascending one. */
function keyset(column: string, direction: Direction, after: After): Expression<SqlBool> {
  const key = column === "provider" ? sql`coalesce(provider, '')` : sql.ref(column);
  const op = sql.raw(direction === "desc" ? "<" : ">");
  return sql<SqlBool>`(${key}, id) ${op} (${after.value}, ${after.id})`;
}
