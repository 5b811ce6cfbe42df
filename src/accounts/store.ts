import type { Kysely, Selectable, Transaction, Updateable } from "kysely";
import type { AccountsTable, DB } from "../db/schema.js";

export type AccountRow = Selectable<AccountsTable>;
type Executor = Kysely<DB> | Transaction<DB>;

export type AccountFilters = {
  providers?: string[];
  ownerIds?: string[];
  accountIds?: string[];
  statuses?: string[];
};

/** Persistence of linked accounts. Every read and write is scoped to a project. */
export class AccountsStore {
  constructor(private readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async exists(projectId: string, id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("accounts")
      .select("id")
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    return !!row;
  }

  get(projectId: string, id: string, ex: Executor = this.db): Promise<AccountRow | undefined> {
    return ex
      .selectFrom("accounts")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
  }

  /** The account a re-connect updates: same project, owner and provider, the newest first. */
  findForReconnect(
    ex: Executor,
    projectId: string,
    ownerId: string,
    provider: string,
  ): Promise<AccountRow | undefined> {
    return ex
      .selectFrom("accounts")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("provider", "=", provider)
      .where("origin_owner_id", "=", ownerId)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
  }

  /** One page in the stable (created_at, id) order the indexes serve. */
  list(projectId: string, f: AccountFilters, limit: number, offset: number): Promise<AccountRow[]> {
    let q = this.db.selectFrom("accounts").selectAll().where("project_id", "=", projectId);
    if (f.ownerIds?.length)
      q = q.where(
        "origin_owner_id",
        f.ownerIds.length === 1 ? "=" : "in",
        f.ownerIds.length === 1 ? f.ownerIds[0]! : f.ownerIds,
      );
    if (f.providers?.length) q = q.where("provider", "in", f.providers);
    if (f.accountIds?.length) q = q.where("id", "in", f.accountIds);
    if (f.statuses?.length) q = q.where("status", "in", f.statuses);
    return q.orderBy("created_at").orderBy("id").limit(limit).offset(offset).execute();
  }

  async insert(ex: Executor, row: AccountRow): Promise<void> {
    await ex.insertInto("accounts").values(row).execute();
  }

  async update(ex: Executor, projectId: string, id: string, patch: Updateable<AccountsTable>): Promise<void> {
    await ex
      .updateTable("accounts")
      .set(patch)
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .execute();
  }

  /**
   * Takes the refresh lease of an account if nobody holds a live one and the credentials are still
   * the version the caller read. One UPDATE, so exactly one process can win it.
   */
  async acquireRefreshLease(
    id: string,
    version: number,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable("accounts")
      .set({ refresh_lease_until: now + leaseMs, refresh_lease_owner: owner })
      .where("id", "=", id)
      .where("credentials_version", "=", version)
      .where((eb) => eb.or([eb("refresh_lease_until", "is", null), eb("refresh_lease_until", "<", now)]))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Writes refreshed credentials only over the version they were refreshed from and only for the
   * lease holder (the fence): a process whose lease lapsed cannot overwrite a newer token.
   */
  async commitRefresh(
    ex: Executor,
    id: string,
    version: number,
    owner: string,
    patch: Updateable<AccountsTable>,
  ): Promise<boolean> {
    const res = await ex
      .updateTable("accounts")
      .set(patch)
      .where("id", "=", id)
      .where("credentials_version", "=", version)
      .where("refresh_lease_owner", "=", owner)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async releaseRefreshLease(id: string, owner: string): Promise<void> {
    await this.db
      .updateTable("accounts")
      .set({ refresh_lease_until: null, refresh_lease_owner: null })
      .where("id", "=", id)
      .where("refresh_lease_owner", "=", owner)
      .execute();
  }

  /** Accounts whose tokens the scheduler should refresh now, oldest first. */
  dueForRefresh(now: number, limit: number): Promise<Pick<AccountRow, "id" | "project_id">[]> {
    return this.db
      .selectFrom("accounts")
      .select(["id", "project_id"])
      .where("next_refresh_at", "<=", now)
      .where((eb) => eb.or([eb("refresh_lease_until", "is", null), eb("refresh_lease_until", "<", now)]))
      .orderBy("next_refresh_at")
      .limit(limit)
      .execute();
  }

  async delete(ex: Executor, projectId: string, id: string): Promise<boolean> {
    const res = await ex
      .deleteFrom("accounts")
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
