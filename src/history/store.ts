import {
  type Expression,
  type Insertable,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
  type Transaction,
} from "kysely";
import type { AccountEventsTable, AuditLogTable, DB } from "../db/schema.js";

export type AccountEventRow = Selectable<AccountEventsTable>;
export type AuditRow = Selectable<AuditLogTable>;
export type Executor = Kysely<DB> | Transaction<DB>;

export type DailyCount = { project_id: string; metric: string; day: number; count: number };

/** Where a keyset page starts: after the row with this sort value and id. */
export type After = { value: string | number; id: string };
export type Direction = "asc" | "desc";

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

/**
 * Persistence of the history in the main database: account events, the audit log, daily
 * counters. The request log has a store of its own (request-log-store.ts).
 */
export class HistoryStore {
  constructor(private readonly db: Kysely<DB>) {}

  async insertAccountEvents(ex: Executor, rows: AccountEventRow[]): Promise<void> {
    if (rows.length) await ex.insertInto("account_events").values(rows).execute();
  }

  async insertAudit(ex: Executor, row: Insertable<AuditLogTable>): Promise<void> {
    await ex.insertInto("audit_log").values(row).execute();
  }

  /** Counter increments, added to each project's count for the day (in `ex`'s transaction when given). */
  async addDaily(counts: DailyCount[], ex: Executor = this.db): Promise<void> {
    if (!counts.length) return;
    await ex
      .insertInto("history_daily")
      .values(counts)
      .onConflict((oc) =>
        oc.columns(["project_id", "metric", "day"]).doUpdateSet((eb) => ({
          count: sql`${eb.ref("history_daily.count")} + ${eb.ref("excluded.count")}`,
        })),
      )
      .execute();
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
  async purgeBatch(table: "account_events" | "audit_log", before: number, batch: number): Promise<number> {
    // The two tables share `id` and `created_at`: typed as one of them, the query is the same.
    const oldest = this.db
      .selectFrom(table as "account_events")
      .select("id")
      .where("created_at", "<", before)
      .orderBy("created_at")
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
  const op = sql.raw(direction === "desc" ? "<" : ">");
  return sql<SqlBool>`(${sql.ref(column)}, id) ${op} (${after.value}, ${after.id})`;
}
