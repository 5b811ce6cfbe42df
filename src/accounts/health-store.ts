import { type Kysely, sql, type Transaction } from "kysely";
import type { Dialect } from "../db/database.js";
import type { DB } from "../db/schema.js";
import type { AccountRow } from "./store.js";

export type HealthColumns = Pick<
  AccountRow,
  "health_checked_at" | "health_result" | "health_detail" | "health_next_at"
>;
export type Claimed = Pick<AccountRow, "id" | "project_id" | "provider">;

/**
 * Persistence of the health checks: the schedule on each account row, and the leases of checks
 * under way. A lease is a row per account being checked: two nodes can never hold one account's,
 * and counting a provider's live ones bounds the checks of that provider across every node.
 */
export class HealthStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {}

  /**
   * Gives accounts that have no check scheduled (linked before health checks existed) one at a
   * random time within the next interval, so a large database is not checked all at once.
   */
  async scheduleUnscheduled(providers: string[], now: number, intervalMs: number, limit: number) {
    if (!providers.length) return 0;
    const spread =
      this.dialect === "postgres"
        ? sql<number>`${now}::bigint + floor(random() * ${intervalMs})::bigint`
        : sql<number>`${now} + (abs(random()) % ${intervalMs})`;
    const ids = this.db
      .selectFrom("accounts")
      .select("id")
      .where("health_next_at", "is", null)
      .where("status", "in", ["active", "error"])
      .where("provider", "in", providers)
      .limit(limit);
    const res = await this.db
      .updateTable("accounts")
      .set({ health_next_at: spread })
      .where("id", "in", ids)
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** Providers with checks due, among those that can be checked. */
  async dueProviders(providers: string[], now: number, limit: number): Promise<string[]> {
    if (!providers.length) return [];
    const rows = await this.db
      .selectFrom("accounts")
      .select("provider")
      .distinct()
      .where("health_next_at", "<=", now)
      .where("provider", "in", providers)
      .limit(limit)
      .execute();
    return rows.map((r) => r.provider);
  }

  /**
   * Leases up to `max` minus the provider's live leases of its due accounts, oldest due first, in
   * one transaction that holds the provider's lock (PostgreSQL: an advisory lock; SQLite: every
   * write transaction holds the database's), so nodes claiming at once never exceed `max`.
   */
  claimDue(provider: string, owner: string, now: number, leaseMs: number, max: number): Promise<Claimed[]> {
    return this.db.transaction().execute(async (trx) => {
      const live = await this.lockAndCount(trx, provider, now);
      if (live >= max) return [];
      const due = await trx
        .selectFrom("accounts")
        .select(["id", "project_id", "provider"])
        .where("health_next_at", "<=", now)
        .where("provider", "=", provider)
        .where((eb) =>
          eb.not(
            eb.exists(
              eb
                .selectFrom("health_check_leases")
                .select("account_id")
                .whereRef("health_check_leases.account_id", "=", "accounts.id"),
            ),
          ),
        )
        .orderBy("health_next_at")
        .limit(max - live)
        .execute();
      if (due.length)
        await trx
          .insertInto("health_check_leases")
          .values(due.map((d) => ({ account_id: d.id, provider, owner, until: now + leaseMs })))
          .execute();
      return due;
    });
  }

  /**
   * Leases one account for a check asked for now. `max` bounds it like the scheduler's (a check a
   * proxied call asked for waits for the scheduler instead); without `max` only the account's own
   * lease counts (an operator's check). False when the account is being checked already.
   */
  claimOne(account: Claimed, owner: string, now: number, leaseMs: number, max?: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const live = await this.lockAndCount(trx, account.provider, now);
      if (max !== undefined && live >= max) return false;
      const held = await trx
        .selectFrom("health_check_leases")
        .select("account_id")
        .where("account_id", "=", account.id)
        .executeTakeFirst();
      if (held) return false;
      await trx
        .insertInto("health_check_leases")
        .values({ account_id: account.id, provider: account.provider, owner, until: now + leaseMs })
        .execute();
      return true;
    });
  }

  private async lockAndCount(trx: Transaction<DB>, provider: string, now: number): Promise<number> {
    if (this.dialect === "postgres")
      await sql`select pg_advisory_xact_lock(hashtextextended(${`health:${provider}`}, 0))`.execute(trx);
    await trx
      .deleteFrom("health_check_leases")
      .where("provider", "=", provider)
      .where("until", "<", now)
      .execute();
    const row = await trx
      .selectFrom("health_check_leases")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("provider", "=", provider)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async release(accountId: string, owner: string): Promise<void> {
    await this.db
      .deleteFrom("health_check_leases")
      .where("account_id", "=", accountId)
      .where("owner", "=", owner)
      .execute();
  }

  /** Live leases of a provider (tests and the console). */
  async liveLeases(provider: string, now: number): Promise<number> {
    const row = await this.db
      .selectFrom("health_check_leases")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("provider", "=", provider)
      .where("until", ">=", now)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Writes a check's outcome on the row (not a change of the account: no version bump). */
  async record(
    ex: Kysely<DB> | Transaction<DB> | undefined,
    projectId: string,
    id: string,
    cols: HealthColumns,
  ) {
    await (ex ?? this.db)
      .updateTable("accounts")
      .set(cols)
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .execute();
  }
}
