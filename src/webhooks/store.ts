import { type Kysely, type Selectable, sql, type Transaction, type Updateable } from "kysely";
import { asideRowsOf, type Dialect } from "../db/database.js";
import type { DB, WebhookDeliveriesTable, WebhookEndpointsTable, WebhookEventsTable } from "../db/schema.js";

/**
 * The overview's groups of deliveries: every pending one (the backlog), pending ones already tried
 * (retrying) or not yet (waiting), and the finished ones by outcome.
 */
export const DELIVERY_STATES = ["backlog", "retrying", "waiting", "delivered", "failed"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** The type of the event an operator sends to one endpoint to try it ("send a test event"). */
export const TEST_EVENT = "webhook.test";

export type EndpointRow = Selectable<WebhookEndpointsTable>;
export type EventRow = Selectable<WebhookEventsTable>;
export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
type Executor = Kysely<DB> | Transaction<DB>;

/** A claimed delivery with what sending it needs. */
export type ClaimedDelivery = DeliveryRow & { payload: string; url: string; endpoint_status: string };

/** Persistence of webhook endpoints, events, deliveries and attempts. */
export class WebhooksStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async insertEndpoint(row: EndpointRow, ex: Executor = this.db): Promise<void> {
    await ex.insertInto("webhook_endpoints").values(row).execute();
  }

  getEndpoint(projectId: string, id: string): Promise<EndpointRow | undefined> {
    return this.db
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  endpointById(id: string): Promise<EndpointRow | undefined> {
    return this.db.selectFrom("webhook_endpoints").selectAll().where("id", "=", id).executeTakeFirst();
  }

  listEndpoints(projectId: string, ex: Executor = this.db): Promise<EndpointRow[]> {
    return ex
      .selectFrom("webhook_endpoints")
      .selectAll()
      .where("project_id", "=", projectId)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
  }

  async updateEndpoint(
    id: string,
    patch: Updateable<WebhookEndpointsTable>,
    ex: Executor = this.db,
  ): Promise<void> {
    await ex.updateTable("webhook_endpoints").set(patch).where("id", "=", id).execute();
  }

  /** Removes an endpoint and its pending deliveries; call inside a transaction. */
  async deleteEndpoint(trx: Executor, projectId: string, id: string): Promise<boolean> {
    const res = await trx
      .deleteFrom("webhook_endpoints")
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    await trx
      .deleteFrom("webhook_deliveries")
      .where("endpoint_id", "=", id)
      .where("status", "=", "pending")
      .execute();
    return Number(res.numDeletedRows) > 0;
  }

  async insertEvent(ex: Executor, row: EventRow): Promise<void> {
    await ex.insertInto("webhook_events").values(row).execute();
  }

  async insertDeliveries(ex: Executor, rows: DeliveryRow[]): Promise<void> {
    if (rows.length) await ex.insertInto("webhook_deliveries").values(rows).execute();
  }

  getEvent(projectId: string, id: string): Promise<EventRow | undefined> {
    return this.db
      .selectFrom("webhook_events")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /** A time range's events, oldest first; a test event was for its endpoint, not for a replay. */
  eventsBetween(projectId: string, from: number, to: number, limit: number): Promise<EventRow[]> {
    return this.db
      .selectFrom("webhook_events")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("created_at", ">=", from)
      .where("created_at", "<=", to)
      .where("type", "!=", TEST_EVENT)
      .orderBy("created_at")
      .orderBy("id")
      .limit(limit)
      .execute();
  }

  /**
   * Claims due deliveries for one worker: at most `perEndpoint` per endpoint (so one slow
   * endpoint cannot take every slot), none for endpoints disabled or in back-off, none held by a
   * live lease. On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several nodes claim side by side
   * without waiting on or taking each other's rows; SQLite has one writer at a time.
   */
  async claim(
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
    perEndpoint: number,
    exclude: string[],
  ): Promise<ClaimedDelivery[]> {
    const skip = this.dialect === "postgres" ? sql`for update of d skip locked` : sql``;
    const excluded = exclude.length ? sql`and d.endpoint_id not in (${sql.join(exclude)})` : sql``;
    const ids = await sql<{ id: string }>`
      select id from (
        select d.id, row_number() over (partition by d.endpoint_id order by d.next_attempt_at, d.id) as n
        from webhook_deliveries d
        join webhook_endpoints e on e.id = d.endpoint_id
        where d.status = 'pending' and d.next_attempt_at <= ${now}
          and (d.lease_until is null or d.lease_until < ${now})
          and e.status = 'active' and (e.retry_after is null or e.retry_after <= ${now})
          ${excluded}
      ) ranked where n <= ${perEndpoint} limit ${limit}`.execute(this.db);
    if (!ids.rows.length) return [];
    const claimed = await this.db.transaction().execute(async (trx) => {
      const locked = await sql<{ id: string }>`
        select d.id from webhook_deliveries d
        where d.id in (${sql.join(ids.rows.map((r) => r.id))})
          and d.status = 'pending' and (d.lease_until is null or d.lease_until < ${now})
        ${skip}`.execute(trx);
      if (!locked.rows.length) return [];
      return trx
        .updateTable("webhook_deliveries")
        .set({ lease_until: now + leaseMs, lease_owner: owner })
        .where(
          "id",
          "in",
          locked.rows.map((r) => r.id),
        )
        .returning(["id"])
        .execute();
    });
    if (!claimed.length) return [];
    return this.db
      .selectFrom("webhook_deliveries as d")
      .innerJoin("webhook_events as ev", "ev.id", "d.event_id")
      .innerJoin("webhook_endpoints as e", "e.id", "d.endpoint_id")
      .selectAll("d")
      .select(["ev.payload", "e.url", "e.status as endpoint_status"])
      .where(
        "d.id",
        "in",
        claimed.map((c) => c.id),
      )
      .where("d.lease_owner", "=", owner)
      .orderBy("d.next_attempt_at")
      .execute();
  }

  /** Finishes an attempt, only if this worker still holds the lease (the fence). */
  async finishDelivery(
    id: string,
    owner: string,
    patch: Updateable<WebhookDeliveriesTable>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable("webhook_deliveries")
      .set({ ...patch, lease_until: null, lease_owner: null })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async recordAttempt(row: Selectable<DB["webhook_attempts"]>): Promise<void> {
    await this.db.insertInto("webhook_attempts").values(row).execute();
  }

  listDeliveries(
    projectId: string,
    f: { endpointId?: string; eventId?: string; deliveryId?: string; state?: DeliveryState; limit: number },
  ) {
    let q = this.db
      .selectFrom("webhook_deliveries as d")
      .innerJoin("webhook_events as ev", "ev.id", "d.event_id")
      .select([
        "d.id",
        "d.event_id",
        "d.endpoint_id",
        "ev.type",
        "d.status",
        "d.attempts",
        "d.last_status",
        "d.last_error",
        "d.next_attempt_at",
        "d.delivered_at",
        "d.created_at",
      ])
      .where("d.project_id", "=", projectId);
    if (f.endpointId) q = q.where("d.endpoint_id", "=", f.endpointId);
    if (f.eventId) q = q.where("d.event_id", "=", f.eventId);
    if (f.deliveryId) q = q.where("d.id", "=", f.deliveryId);
    if (f.state === "delivered" || f.state === "failed") q = q.where("d.status", "=", f.state);
    else if (f.state) q = q.where("d.status", "=", "pending");
    if (f.state === "retrying") q = q.where("d.attempts", ">", 0);
    if (f.state === "waiting") q = q.where("d.attempts", "=", 0);
    return q.orderBy("d.created_at", "desc").orderBy("d.id", "desc").limit(f.limit).execute();
  }

  /** Deliveries of a project created since `from`, by status and whether they were tried yet. */
  async deliveryCounts(projectId: string, from: number) {
    const rows = await this.db
      .selectFrom("webhook_deliveries")
      .select([
        "status",
        sql<number>`case when attempts > 0 then 1 else 0 end`.as("tried"),
        sql<number>`count(*)`.as("n"),
      ])
      .where("project_id", "=", projectId)
      .where("status", "in", ["pending", "delivered", "failed"])
      .where("created_at", ">=", from)
      .groupBy(["status", sql`case when attempts > 0 then 1 else 0 end`])
      .execute();
    return rows.map((r) => ({ status: r.status, tried: Number(r.tried) === 1, count: Number(r.n) }));
  }

  async pendingCount(projectId: string): Promise<number> {
    const row = await this.db
      .selectFrom("webhook_deliveries")
      .select(sql<number>`count(*)`.as("n"))
      .where("project_id", "=", projectId)
      .where("status", "=", "pending")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * Every project's deliveries pending for active endpoints, and the earliest time one of them
   * that is due now (its endpoint not backing off) became due: what the delivery job is behind by.
   * On SQLite it runs on the reader thread, away from requests.
   */
  async backlog(now: number): Promise<{ pending: number; oldestDueAt: number | null }> {
    const query = sql<{ pending: number | string; oldest: number | string | null }>`
      select count(*) as pending,
        min(case when d.next_attempt_at <= ${now} and (e.retry_after is null or e.retry_after <= ${now})
          then d.next_attempt_at end) as oldest
      from webhook_deliveries d
      join webhook_endpoints e on e.id = d.endpoint_id
      where d.status = 'pending' and e.status = 'active'`;
    const aside = asideRowsOf(this.db);
    const compiled = query.compile(this.db);
    const [row] = (
      aside ? await aside(compiled.sql, compiled.parameters) : (await query.execute(this.db)).rows
    ) as {
      pending: number | string;
      oldest: number | string | null;
    }[];
    return {
      pending: Number(row?.pending ?? 0),
      oldestDueAt: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest),
    };
  }

  attemptsOf(deliveryIds: string[]) {
    if (!deliveryIds.length) return Promise.resolve([]);
    return this.db
      .selectFrom("webhook_attempts")
      .selectAll()
      .where("delivery_id", "in", deliveryIds)
      .orderBy("started_at")
      .execute();
  }
}
