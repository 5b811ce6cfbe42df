import type { Logger } from "pino";
import { type CursorValue, decodeCursor, encodeCursor } from "../db/cursor.js";
import { fromJson, toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import type { Actor } from "./actor.js";
import { RequestLogBuffer, type RequestRecord } from "./request-log-buffer.js";
import type { RequestLogsQuery, UnifiedLogs, UnifiedLogsPartial } from "./schemas.js";
import { sortableId } from "./sortable-id.js";
import {
  type AccountEventRow,
  type AuditFilter,
  type AuditRow,
  type EventFilter,
  type Executor,
  type HistoryStore,
  REQUEST_LOG_ORDER,
  type RequestLogFilter,
  type RequestLogOrder,
} from "./store.js";
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
  requestLogRetentionDays: number;
  accountEventsRetentionDays: number;
  auditRetentionDays: number;
  flushIntervalMs?: number;
  maxPendingRequests?: number;
  now?: () => number;
};

const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(Number(ms)).toISOString();

/**
 * The history of every account and of the API: account events and the audit log are written by
 * the other slices inside their own transactions (so history and change commit or roll back
 * together); the request log is buffered in memory and written in batches, off the request path.
 * Reads are always scoped to one project.
 */
export class HistoryService {
  private readonly buffer: RequestLogBuffer;

  constructor(
    private readonly store: HistoryStore,
    private readonly opts: HistoryOptions,
  ) {
    this.buffer = new RequestLogBuffer(store, {
      intervalMs: opts.flushIntervalMs ?? 250,
      maxPending: opts.maxPendingRequests ?? 50_000,
      logger: opts.logger,
    });
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  // ---- writes ---------------------------------------------------------------------------------

  /** Records account events inside the transaction that changed the account. */
  async accountEvent(trx: Executor, ...events: AccountEventInput[]): Promise<void> {
    const at = this.now();
    await this.store.insertAccountEvents(
      trx,
      events.map((e) => ({
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
      })),
    );
  }

  /** Records a configuration change, inside the transaction that made it when there is one. */
  async audit(ex: Executor, e: AuditInput): Promise<void> {
    const at = this.now();
    await this.store.insertAudit(ex, {
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
    });
  }

  /** Buffers one request-log record; never waits for the database. */
  recordRequest(record: RequestRecord): void {
    this.buffer.push(record);
  }

  /** Counts a connect session opened, for the console's per-day chart. */
  sessionOpened(projectId: string): void {
    this.buffer.count(projectId, "sessions_opened", this.now());
  }

  /** Request-log records dropped since start because the database could not keep up. */
  get droppedRequests(): number {
    return this.buffer.dropped;
  }

  flush(): Promise<void> {
    return this.buffer.flush();
  }

  close(): Promise<void> {
    return this.buffer.close();
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
    const after = toAfter(decodeCursor(scope, q.next, 2));
    const size = q.page_size ?? 25;
    const filter = requestLogFilter(q);
    if (!filter) return { data: [], next: null };
    const rows = await this.store.requestLogs(
      projectId,
      { ...filter, ...extra },
      order,
      direction,
      size + 1,
      after,
    );
    const page = rows.slice(0, size);
    const lastRow = page.at(-1);
    const column = REQUEST_LOG_ORDER[order];
    const next =
      rows.length > size && lastRow
        ? encodeCursor(scope, [
            column === "provider" ? (lastRow.provider ?? "") : Number(lastRow[column]),
            lastRow.id,
          ])
        : null;
    const steps = q.include?.split(",").includes("step_logs") ?? false;
    return { data: page.map((r) => unifiedLogPartial(r, this.opts.publicUrl, steps)), next };
  }

  async getRequestLog(projectId: string, id: string, include?: string): Promise<UnifiedLogs> {
    const row = await this.store.requestLog(projectId, id);
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
      toAfter(decodeCursor("events", opts.next, 2)),
    );
    return newestFirst(rows, limit, "events", eventView);
  }

  /** Per UTC day over the last `days` days (oldest first): sessions opened and accounts linked. */
  async perDay(projectId: string, days: number) {
    const today = Math.floor(this.now() / DAY_MS);
    const from = today - days + 1;
    const [sessions, linked] = await Promise.all([
      this.store.daily(projectId, "sessions_opened", from),
      this.store.eventsPerDay(projectId, "linked", from),
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
    const rows = await this.store.audit(f, limit + 1, toAfter(decodeCursor(scope, opts.next, 2)));
    return newestFirst(rows, limit, scope, auditView);
  }

  // ---- retention ------------------------------------------------------------------------------

  /**
   * The cleanup job: deletes history older than each retention setting, `batch` rows per
   * statement so no transaction holds the database for long, until nothing old is left.
   */
  async purgeExpired(batch = 5000): Promise<Record<string, number>> {
    const now = this.now();
    const plan = [
      ["request_log", this.opts.requestLogRetentionDays],
      ["account_events", this.opts.accountEventsRetentionDays],
      ["audit_log", this.opts.auditRetentionDays],
    ] as const;
    const deleted: Record<string, number> = {};
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
    deleted.history_daily = await this.store.purgeDaily(
      Math.floor(now / DAY_MS) - this.opts.accountEventsRetentionDays,
    );
    return deleted;
  }
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
