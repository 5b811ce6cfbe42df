import type { Logger } from "pino";
import type { RequestLogVolume } from "../config.js";
import { type CursorPart, type CursorValue, decodeCursor, encodeCursor } from "../db/cursor.js";
import { fromJson, toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import type { Actor } from "./actor.js";
import { cleanRecord } from "./clean-text.js";
import { RefusedRequests } from "./refused-requests.js";
import type { RefusedRequestsStore } from "./refused-requests-store.js";
import { RequestLogBuffer, type RequestLogStats, type RequestRecord } from "./request-log-buffer.js";
import { DAY_MS, parseWireId, RequestIds } from "./request-log-ids.js";
import type { LegacyRequestLog } from "./request-log-legacy.js";
import {
  type After,
  REQUEST_LOG_ORDER,
  type RequestLogFilter,
  type RequestLogOrder,
  type RequestLogStore,
} from "./request-log-store.js";
import type { RequestLogsQuery, UnifiedLogs, UnifiedLogsPartial } from "./schemas.js";
import { sortableId } from "./sortable-id.js";
import type { AccountEventRow, AuditFilter, AuditRow, EventFilter, Executor, HistoryStore } from "./store.js";
import { unifiedLog, unifiedLogPartial } from "./wire.js";

/** What can happen to an account (docs/history.md). */
export const ACCOUNT_EVENT_TYPES = [
  "linked",
  "reconnected",
  "updated",
  "credentials_replaced",
  "token_refreshed",
  "refresh_failed",
  "error",
  "recovered",
  "deleted",
] as const;
export type AccountEventType = (typeof ACCOUNT_EVENT_TYPES)[number];

export type AccountEventInput = {
  projectId: string;
  accountId: string;
  provider: string;
  type: AccountEventType;
  actor: Actor;
  /** Non-secret details only: field names, a provider's error code and description. */
  detail?: Record<string, unknown> | null;
};

export type AuditInput = {
  projectId: string | null;
  /** For an entry of no single project (a console user, a sign-in): the organization it concerns. */
  organizationId?: number | null;
  actor: Actor;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  /** Non-secret details only (a URL, event names, a client id; never a secret or key). */
  detail?: Record<string, unknown> | null;
};

export type AccountEventView = {
  id: string;
  account_id: string;
  provider: string | null;
  type: string;
  actor: Actor;
  detail: Record<string, unknown> | null;
  created_at: string;
};

export type AuditView = {
  id: string;
  project_id: string | null;
  organization_id: number | null;
  actor: Actor;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: Record<string, unknown> | null;
  created_at: string;
};

export type HistoryOptions = {
  logger: Logger;
  publicUrl: string;
  /** Which calls the request log keeps (PORTICO_REQUEST_LOG); all by default. */
  requestLog?: RequestLogVolume;
  /** The rows of the earlier layout still to move into the request log (migration 012), if any. */
  legacy?: LegacyRequestLog;
  requestLogRetentionDays: number;
  accountEventsRetentionDays: number;
  auditRetentionDays: number;
  flushIntervalMs?: number;
  maxPendingRequests?: number;
  /** Where requests answered 429 are counted per key and minute (none: not counted). */
  refusedStore?: RefusedRequestsStore;
  now?: () => number;
  /** The sampler's coin (tests pass their own). */
  random?: () => number;
};

/** Days of the request log made ahead of today, so no writer waits for one. */
const DAYS_AHEAD = 2;

/** One API key's requests answered 429 in one minute. */
export type RefusedView = { key_id: string; minute: string; count: number };

/** What each ordering's cursor holds before the id: its column's type. */
const ORDER_PART: Record<RequestLogOrder, CursorPart> = {
  eventDatetime: "time",
  duration: "int",
  status: "int",
  provider: "text",
  service: "text",
};
const TIME_ID: CursorPart[] = ["time", "text"];
const iso = (ms: number) => new Date(Number(ms)).toISOString();

/**
 * The history of every account and of the API: account events and the audit log are written by
 * the other slices inside their own transactions (so history and change commit or roll back
 * together); the request log is buffered in memory and written in batches, off the request path.
 * Reads are always scoped to one project.
 */
export class HistoryService {
  private readonly buffer: RequestLogBuffer;
  /** This process's request ids (Fastify's `genReqId`): the request log's ids. */
  readonly requestIds = new RequestIds();
  /** Whether the request log keeps a call that ended with this status (PORTICO_REQUEST_LOG). */
  readonly keeps: (status: number) => boolean;
  private readonly refused: RefusedRequests | null;

  constructor(
    private readonly store: HistoryStore,
    readonly log: RequestLogStore,
    private readonly opts: HistoryOptions,
  ) {
    this.buffer = new RequestLogBuffer(
      {
        insertBatch: (records) => log.insertBatch(records),
        addDaily: (counts) => store.addDaily(counts),
      },
      {
        intervalMs: opts.flushIntervalMs ?? 250,
        maxPending: opts.maxPendingRequests ?? 50_000,
        logger: opts.logger,
      },
    );
    this.keeps = keeper(opts.requestLog ?? { mode: "all" }, opts.random ?? Math.random);
    this.refused = opts.refusedStore ? new RefusedRequests(opts.refusedStore, { logger: opts.logger }) : null;
  }

  /** Takes this process's writer tag for request ids; before serving. */
  async start(): Promise<void> {
    this.requestIds.setWriter(await this.log.claimWriter());
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  // ---- writes ---------------------------------------------------------------------------------

  /**
   * Records account events inside the transaction that changed the account; a link also counts
   * in the project's accounts linked that day (the console's chart), in the same transaction.
   */
  async accountEvent(trx: Executor, ...events: AccountEventInput[]): Promise<void> {
    const at = this.now();
    const linked = new Map<string, number>();
    for (const e of events)
      if (e.type === "linked") linked.set(e.projectId, (linked.get(e.projectId) ?? 0) + 1);
    if (linked.size)
      await this.store.addDaily(
        [...linked].map(([project_id, count]) => ({
          project_id,
          metric: "accounts_linked",
          day: Math.floor(at / DAY_MS),
          count,
        })),
        trx,
      );
    await this.store.insertAccountEvents(
      trx,
      events.map((e) =>
        cleanRecord({
          id: sortableId("aev_", at),
          project_id: e.projectId,
          account_id: e.accountId,
          provider: e.provider,
          type: e.type,
          actor_type: e.actor.type,
          actor_id: e.actor.id,
          actor_name: e.actor.name,
          detail: toJson(e.detail ?? null),
          created_at: at,
        }),
      ),
    );
  }

  /** Records a configuration change, inside the transaction that made it when there is one. */
  async audit(ex: Executor, e: AuditInput): Promise<void> {
    const at = this.now();
    await this.store.insertAudit(
      ex,
      cleanRecord({
        id: sortableId("aud_", at),
        project_id: e.projectId,
        organization_id: e.organizationId ?? null,
        actor_type: e.actor.type,
        actor_id: e.actor.id,
        actor_name: e.actor.name,
        action: e.action,
        target_type: e.targetType ?? null,
        target_id: e.targetId ?? null,
        detail: toJson(e.detail ?? null),
        created_at: at,
      }),
    );
  }

  /** Buffers one request-log record; never waits for the database. */
  recordRequest(record: RequestRecord): void {
    this.buffer.push(record);
  }

  /**
   * Counts a request answered 429 for its key's minute, instead of a request-log row: a key past
   * its limit must not cost the database a write per call.
   */
  recordRefused(projectId: string, keyId: string, at = this.now()): void {
    this.refused?.count(projectId, keyId, at);
  }

  /** A project's requests answered 429 per key and minute in [from, to], newest first. */
  async listRefused(
    projectId: string,
    f: { from: number; to: number; keyId?: string },
    limit = 500,
  ): Promise<RefusedView[]> {
    const rows = (await this.opts.refusedStore?.list(projectId, f, limit)) ?? [];
    return rows.map((r) => ({ key_id: r.key_id, minute: iso(r.minute), count: r.count }));
  }

  /** A project's requests answered 429 since `from`. */
  refusedSince(projectId: string, from: number): Promise<number> {
    return this.opts.refusedStore?.total(projectId, from) ?? Promise.resolve(0);
  }

  /** Counts a connect session opened, for the console's per-day chart. */
  sessionOpened(projectId: string): void {
    this.buffer.count(projectId, "sessions_opened", this.now());
  }

  /**
   * Request-log records lost since start: dropped because the database could not keep up, or
   * refused by it for their data.
   */
  get droppedRequests(): number {
    return this.buffer.dropped + this.buffer.refused;
  }

  /** The request log writer's counts since start: written, dropped (buffer full), refused. */
  get requestLogStats(): RequestLogStats {
    return this.buffer.stats;
  }

  async flush(): Promise<void> {
    await Promise.all([this.buffer.flush(), this.refused?.flush()]);
  }

  async close(): Promise<void> {
    await Promise.all([this.buffer.close(), this.refused?.close()]);
  }

  // ---- the request log ------------------------------------------------------------------------

  /** `GET /requests/logs`: one page in the requested order, with the cursor of the next. */
  async listRequestLogs(
    projectId: string,
    q: RequestLogsQuery,
    extra: { proxiedOnly?: boolean } = {},
  ): Promise<{ data: UnifiedLogsPartial[]; next: string | null }> {
    const order: RequestLogOrder = q.order_by ?? "eventDatetime";
    const direction = q.order_direction ?? "desc";
    const scope = `requests:${order}:${direction}`;
    const after = requestLogAfter(decodeCursor(scope, q.next, [ORDER_PART[order], "text"]), order);
    const size = q.page_size ?? 25;
    const filter = requestLogFilter(q);
    if (!filter) return { data: [], next: null };
    const rows = await this.log.list(projectId, { ...filter, ...extra }, order, direction, size + 1, after);
    const page = rows.slice(0, size);
    const lastRow = page.at(-1);
    const column = REQUEST_LOG_ORDER[order];
    const next =
      rows.length > size && lastRow
        ? encodeCursor(scope, [
            column === "provider"
              ? (lastRow.provider ?? "")
              : column === "service"
                ? lastRow.service
                : Number(lastRow[column]),
            lastRow.id,
          ])
        : null;
    const steps = q.include?.split(",").includes("step_logs") ?? false;
    return { data: page.map((r) => unifiedLogPartial(r, this.opts.publicUrl, steps)), next };
  }

  async getRequestLog(projectId: string, id: string, include?: string): Promise<UnifiedLogs> {
    const parts = parseWireId(id);
    const row = parts && (await this.log.get(projectId, parts));
    if (!row) throw new PorticoError("NOT_FOUND", `id: request log ${id} not found`);
    return unifiedLog(row, this.opts.publicUrl, include?.split(",").includes("step_logs") ?? false);
  }

  // ---- account events -------------------------------------------------------------------------

  /** An account's timeline, newest first, `limit` at a time. */
  accountTimeline(projectId: string, accountId: string, opts: { limit?: number; next?: string } = {}) {
    return this.listEvents(projectId, { accountId }, opts);
  }

  /** A project's account events, newest first, of one type or account when asked. */
  async listEvents(
    projectId: string,
    f: EventFilter,
    opts: { limit?: number; next?: string } = {},
  ): Promise<{ data: AccountEventView[]; next: string | null }> {
    const limit = Math.min(opts.limit ?? 50, 500);
    const rows = await this.store.events(
      projectId,
      f,
      limit + 1,
      toAfter(decodeCursor("events", opts.next, TIME_ID)),
    );
    return newestFirst(rows, limit, "events", eventView);
  }

  /** Per UTC day over the last `days` days (oldest first): sessions opened and accounts linked. */
  async perDay(projectId: string, days: number) {
    const today = Math.floor(this.now() / DAY_MS);
    const from = today - days + 1;
    const [sessions, linked] = await Promise.all([
      this.store.daily(projectId, "sessions_opened", from),
      this.store.daily(projectId, "accounts_linked", from),
    ]);
    return Array.from({ length: days }, (_, i) => {
      const day = from + i;
      return {
        date: iso(day * DAY_MS).slice(0, 10),
        sessions_opened: sessions.get(day) ?? 0,
        accounts_linked: linked.get(day) ?? 0,
      };
    });
  }

  /** Failed token refreshes of a project since `sinceMs`. */
  refreshFailuresSince(projectId: string, sinceMs: number): Promise<number> {
    return this.store.countEvents(projectId, "refresh_failed", sinceMs);
  }

  // ---- the audit log --------------------------------------------------------------------------

  async listAudit(
    f: AuditFilter,
    opts: { limit?: number; next?: string } = {},
  ): Promise<{ data: AuditView[]; next: string | null }> {
    const limit = Math.min(opts.limit ?? 50, 1000);
    const scope = `audit:${f.projectId ?? "*"}:${f.organizationId ?? "*"}`;
    const rows = await this.store.audit(f, limit + 1, toAfter(decodeCursor(scope, opts.next, TIME_ID)));
    return newestFirst(rows, limit, scope, auditView);
  }

  // ---- retention ------------------------------------------------------------------------------

  /**
   * The cleanup job: drops the request log's days past its retention (whole partitions or
   * tables), and deletes account events and audit entries older than theirs, `batch` rows per
   * statement so no transaction holds the database for long, until nothing old is left.
   */
  async purgeExpired(batch = 5000): Promise<Record<string, number>> {
    const now = this.now();
    const deleted: Record<string, number> = {};
    const days = await this.log.dropBefore(now - this.opts.requestLogRetentionDays * DAY_MS);
    if (days.length) this.opts.logger.info({ days }, "request log: days past retention dropped");
    deleted.request_log_days = days.length;
    const plan = [
      ["account_events", this.opts.accountEventsRetentionDays],
      ["audit_log", this.opts.auditRetentionDays],
    ] as const;
    for (const [table, days] of plan) {
      let total = 0;
      for (;;) {
        const n = await this.store.purgeBatch(table, now - days * DAY_MS, batch);
        total += n;
        if (n < batch) break;
        // Let requests waiting for the database go first.
        await new Promise((r) => setTimeout(r, 10));
      }
      deleted[table] = total;
    }
    if (this.opts.refusedStore)
      deleted.refused_requests = await this.opts.refusedStore.purgeBefore(
        now - this.opts.requestLogRetentionDays * DAY_MS,
      );
    deleted.history_daily = await this.store.purgeDaily(
      Math.floor(now / DAY_MS) - this.opts.accountEventsRetentionDays,
    );
    return deleted;
  }

  /**
   * The request log's upkeep, run by the jobs worker of whichever node gets there first: makes
   * today's and the next days' partitions (tables on SQLite) ahead of the writers, and moves the
   * rows an earlier version wrote into the compact layout (migration 012).
   */
  async prepareRequestLog(): Promise<{ days_made: number; legacy_moved: number }> {
    const made = await this.log.days.prepareAhead(DAYS_AHEAD);
    const moved =
      (await this.opts.legacy?.moveAll(this.now() - this.opts.requestLogRetentionDays * DAY_MS)) ?? 0;
    return { days_made: made.length, legacy_moved: moved };
  }
}

/** The request log's keep-or-skip decision for a call's status (PORTICO_REQUEST_LOG). */
export function keeper(volume: RequestLogVolume, random: () => number): (status: number) => boolean {
  switch (volume.mode) {
    case "all":
      return () => true;
    case "off":
      return () => false;
    case "errors":
      return (status) => status >= 400;
    case "sample": {
      const p = 1 / volume.every;
      return (status) => status >= 400 || random() < p;
    }
  }
}

/**
 * Where a Request Logs page starts, from its cursor: the sort value (a number, or the provider's
 * name) and the last row's id. A cursor that says otherwise is a 400 naming `next`.
 */
function requestLogAfter(v: CursorValue[] | undefined, order: RequestLogOrder): After | undefined {
  if (!v) return undefined;
  const [value, id] = v;
  const parts = typeof id === "string" ? parseWireId(id) : null;
  const valueOk =
    order === "provider" || order === "service" ? typeof value === "string" : Number.isFinite(value);
  if (!parts || !valueOk)
    throw new PorticoError("VALIDATION", "next: not a cursor of this list and ordering");
  return { value: value!, id: parts };
}

/**
 * The store filter a Request Logs query asks for, or null when it can match nothing: a filter on
 * a field Portico never records (resources, actions...), or a source type other than API_KEY.
 */
function requestLogFilter(q: RequestLogsQuery): RequestLogFilter | null {
  const unrecorded = [q.actions, q.resources, q.sub_resources, q.child_resources, q.source_values];
  if (unrecorded.some((v) => v?.length)) return null;
  if (q.source_types?.length && !q.source_types.some((t) => t.toUpperCase() === "API_KEY")) return null;
  const statuses = q.status_codes?.map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 100 || n > 599)
      throw new PorticoError("VALIDATION", `status_codes: ${s} is not an HTTP status code`);
    return n;
  });
  return {
    accountIds: q.account_ids,
    providers: q.providers,
    methods: q.http_methods?.map((m) => m.toUpperCase()),
    ids: q.request_ids,
    services: q.services,
    statuses,
    keyIds: q.source_ids,
    success: q.success === undefined ? undefined : q.success === "true",
    from: q.start_date ? Date.parse(q.start_date) : undefined,
    to: q.end_date ? Date.parse(q.end_date) : undefined,
  };
}

/** A page of rows fetched newest first with one extra (which says there is a next page). */
function newestFirst<R extends { created_at: number; id: string }, V>(
  rows: R[],
  limit: number,
  scope: string,
  view: (row: R) => V,
): { data: V[]; next: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    data: page.map(view),
    next: rows.length > limit && last ? encodeCursor(scope, [Number(last.created_at), last.id]) : null,
  };
}

const toAfter = (v: CursorValue[] | undefined) => (v ? { value: v[0]!, id: String(v[1]) } : undefined);

const actorOf = (r: { actor_type: string; actor_id: string | null; actor_name: string | null }): Actor => ({
  type: r.actor_type as Actor["type"],
  id: r.actor_id,
  name: r.actor_name,
});

function eventView(r: AccountEventRow): AccountEventView {
  return {
    id: r.id,
    account_id: r.account_id,
    provider: r.provider,
    type: r.type,
    actor: actorOf(r),
    detail: fromJson(r.detail),
    created_at: iso(r.created_at),
  };
}

function auditView(r: AuditRow): AuditView {
  return {
    id: r.id,
    project_id: r.project_id,
    organization_id: r.organization_id === null ? null : Number(r.organization_id),
    actor: actorOf(r),
    action: r.action,
    target_type: r.target_type,
    target_id: r.target_id,
    detail: fromJson(r.detail),
    created_at: iso(r.created_at),
  };
}
