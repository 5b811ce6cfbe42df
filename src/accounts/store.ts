import {
  type Kysely,
  type RawBuilder,
  type Selectable,
  sql,
  type Transaction,
  type Updateable,
} from "kysely";
import { asideRowsOf, type Dialect } from "../db/database.js";
import { QueryShapes } from "../db/query-shapes.js";
import type { AccountsTable, DB } from "../db/schema.js";
import { WIRE_JSON_PARTS, type WireJsonParts } from "./wire-json-sql.js";

export type AccountRow = Selectable<AccountsTable>;
type Executor = Kysely<DB> | Transaction<DB>;

/** The columns the wire shape needs: reading fewer columns is most of a list's cost on SQLite. */
export const WIRE_COLUMNS = [
  "id",
  "provider",
  "origin_owner_id",
  "origin_owner_name",
  "origin_username",
  "label",
  "metadata",
  "type",
  "status",
  "status_reasons",
  "setup_information",
  "shared",
  "created_at",
  "updated_at",
] as const;
export type WireRow = Pick<AccountRow, (typeof WIRE_COLUMNS)[number]>;

export type AccountFilters = {
  providers?: string[];
  ownerIds?: string[];
  accountIds?: string[];
  statuses?: string[];
};

/** Persistence of linked accounts. Every read and write is scoped to a project. */
export class AccountsStore {
  private readonly shapes: QueryShapes;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
  ) {
    this.shapes = new QueryShapes(db);
  }

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** The provider of an account of the project, or null when there is no such account. */
  async providerOf(projectId: string, id: string): Promise<string | null> {
    const row = await this.db
      .selectFrom("accounts")
      .select("provider")
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row?.provider ?? null;
  }

  async getWire(projectId: string, id: string): Promise<WireRow | undefined> {
    return (await this.shapes.rows<WireRow>("accounts.getWire", this.wireById, [projectId, id]))[0];
  }

  /** getWire answered at once where the database can (see QueryShapes.rowsNow): null where not. */
  getWireNow(projectId: string, id: string): WireRow | undefined | null {
    const rows = this.shapes.rowsNow<WireRow>("accounts.getWire", this.wireById, [projectId, id]);
    return rows ? rows[0] : null;
  }

  private readonly wireById = () =>
    this.db.selectFrom("accounts").select(WIRE_COLUMNS).where("project_id", "=", "").where("id", "=", "");

  /** The whole row (the proxy's path, and every write). Outside a transaction, a compiled shape. */
  async get(projectId: string, id: string, ex?: Executor): Promise<AccountRow | undefined> {
    if (ex)
      return ex
        .selectFrom("accounts")
        .selectAll()
        .where("project_id", "=", projectId)
        .where("id", "=", id)
        .executeTakeFirst();
    const rows = await this.shapes.rows<AccountRow>(
      "accounts.get",
      () => this.db.selectFrom("accounts").selectAll().where("project_id", "=", "").where("id", "=", ""),
      [projectId, id],
    );
    return rows[0];
  }

  /**
   * Makes the rest of this transaction the only link of this owner and provider under way, on every
   * node: concurrent links then meet the account the first one created instead of each creating
   * one. PostgreSQL: an advisory lock held until the transaction ends. SQLite: every transaction
   * already holds the database's write lock from its start (BEGIN IMMEDIATE, see database.ts).
   */
  async lockOwnerProvider(trx: Transaction<DB>, projectId: string, ownerId: string, provider: string) {
    if (this.dialect !== "postgres") return;
    const key = JSON.stringify(["accounts.link", projectId, ownerId, provider]);
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
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
  list(projectId: string, f: AccountFilters, limit: number, offset: number): Promise<WireRow[]> {
    return this.page<WireRow>("accounts.list", WIRE_COLUMNS, projectId, f, limit, offset);
  }

  /**
   * `list` with each account's JSON text written by the database (wire-json-sql.ts), on
   * PostgreSQL; null on SQLite, where reading the columns in process costs less.
   */
  listJsonParts(
    projectId: string,
    f: AccountFilters,
    limit: number,
    offset: number,
  ): Promise<WireJsonParts[]> | null {
    if (this.dialect !== "postgres") return null;
    return this.page<WireJsonParts>("accounts.listJson", WIRE_JSON_PARTS, projectId, f, limit, offset);
  }

  private page<R>(
    name: string,
    columns: readonly (string | RawBuilder<unknown>)[],
    projectId: string,
    f: AccountFilters,
    limit: number,
    offset: number,
  ): Promise<R[]> {
    const owners = f.ownerIds ?? [];
    const providers = f.providers ?? [];
    const ids = f.accountIds ?? [];
    const statuses = f.statuses ?? [];
    const shape = `${name}/${owners.length}/${providers.length}/${ids.length}/${statuses.length}`;
    const params = [projectId, ...owners, ...providers, ...ids, ...statuses, limit, offset];
    return this.shapes.rows<R>(
      shape,
      () => {
        const any = (n: number) => Array.from({ length: n }, () => "");
        let q = this.db
          .selectFrom("accounts")
          .select(columns as (typeof WIRE_COLUMNS)[number][])
          .where("project_id", "=", "");
        if (owners.length === 1) q = q.where("origin_owner_id", "=", "");
        else if (owners.length) q = q.where("origin_owner_id", "in", any(owners.length));
        if (providers.length) q = q.where("provider", "in", any(providers.length));
        if (ids.length) q = q.where("id", "in", any(ids.length));
        if (statuses.length) q = q.where("status", "in", any(statuses.length));
        return q.orderBy("created_at").orderBy("id").limit(0).offset(0);
      },
      params,
    );
  }

  async insert(ex: Executor, row: AccountRow): Promise<void> {
    await ex.insertInto("accounts").values(row).execute();
  }

  /**
   * Updates an account only if its credentials are still the version the caller read, so a write
   * prepared from a stale copy (for example while a token refresh committed) cannot put back
   * spent tokens. False when the row changed meanwhile.
   */
  async update(
    ex: Executor,
    projectId: string,
    id: string,
    readVersion: number,
    patch: Updateable<AccountsTable>,
  ): Promise<boolean> {
    const res = await ex
      .updateTable("accounts")
      .set(patch)
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .where("credentials_version", "=", readVersion)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
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

  /**
   * Accounts of every project by status and provider: the operators' gauge. It reads every
   * account, so on SQLite it runs on the reader thread, away from requests.
   */
  async countByStatusAndProvider(): Promise<{ status: string; provider: string; count: number }[]> {
    const query = this.db
      .selectFrom("accounts")
      .select(["status", "provider", sql<number>`count(*)`.as("n")])
      .groupBy(["status", "provider"]);
    const aside = asideRowsOf(this.db);
    const compiled = query.compile();
    const rows = (aside ? await aside(compiled.sql, compiled.parameters) : await query.execute()) as {
      status: string;
      provider: string;
      n: number | string;
    }[];
    return rows.map((r) => ({ status: r.status, provider: r.provider, count: Number(r.n) }));
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
