import type { Kysely, Selectable, Transaction } from "kysely";
import { QueryShapes } from "../db/query-shapes.js";
import type { ConnectSessionsTable, DB } from "../db/schema.js";

export type SessionRow = Selectable<ConnectSessionsTable>;
export type NewSessionRow = Omit<SessionRow, "id">;

/** Every column of a new session, in the order of the grouped INSERT's placeholders. */
const SESSION_COLUMNS = [
  "organization_id",
  "project_id",
  "token_hash",
  "origin_owner_id",
  "origin_owner_name",
  "origin_username",
  "categories",
  "provider",
  "account_id",
  "label",
  "metadata",
  "type",
  "multiple",
  "integration_id",
  "external_trigger_token",
  "linked_account_id",
  "success_url",
  "error_url",
  "expires_in",
  "expires_at",
  "created_at",
] as const satisfies readonly (keyof NewSessionRow)[];
// A column added to the table but not above would be dropped from every insert: refuse to compile.
const everyColumn: [Exclude<keyof NewSessionRow, (typeof SESSION_COLUMNS)[number]>] extends [never]
  ? true
  : never = true;
void everyColumn;

/** Most sessions one grouped insert writes. */
const MAX_GROUP = 32;

type PendingInsert = { row: NewSessionRow; resolve: (id: number) => void; reject: (err: unknown) => void };

/** Persistence of connect sessions. Only the sessions service calls it. */
export class SessionsStore {
  private readonly shapes: QueryShapes;
  private pending: PendingInsert[] = [];
  private flushScheduled = false;

  constructor(private readonly db: Kysely<DB>) {
    this.shapes = new QueryShapes(db);
  }

  /**
   * Writes a session. Sessions created in the same turn of the event loop go in together, as one
   * multi-row INSERT: a commit (SQLite's WAL append, PostgreSQL's round trip) per request was most
   * of a session create's time. Alone, a session is written at once, a tick later.
   */
  insert(row: NewSessionRow): Promise<SessionRow> {
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    }).then((id) => ({ ...row, id }));
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    for (let i = 0; i < batch.length; i += MAX_GROUP) await this.insertGroup(batch.slice(i, i + MAX_GROUP));
  }

  private async insertGroup(group: PendingInsert[]): Promise<void> {
    try {
      const ids = await this.insertRows(group.map((p) => p.row));
      for (const [i, p] of group.entries()) p.resolve(ids[i]!);
    } catch (err) {
      if (group.length === 1) return group[0]!.reject(err);
      // The statement is all or nothing: one bad row must not fail the others, so each goes alone.
      for (const p of group) {
        try {
          p.resolve((await this.insertRows([p.row]))[0]!);
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  private async insertRows(rows: NewSessionRow[]): Promise<number[]> {
    // Columns in one fixed order, so the compiled statement's placeholders line up with them.
    const params: unknown[] = [];
    for (const r of rows) for (const c of SESSION_COLUMNS) params.push(r[c]);
    const inserted = await this.shapes.rows<{ id: number; token_hash: string }>(
      `connect_sessions.insert/${rows.length}`,
      () =>
        this.db
          .insertInto("connect_sessions")
          .values(rows.map((r) => Object.fromEntries(SESSION_COLUMNS.map((c) => [c, r[c]])) as NewSessionRow))
          .returning(["id", "token_hash"]),
      params,
    );
    // Matched by token digest (unique), not by position: RETURNING's order is not a promise.
    const ids = new Map(inserted.map((r) => [r.token_hash, Number(r.id)]));
    return rows.map((r) => ids.get(r.token_hash)!);
  }

  async findByTokenHash(tokenHash: string): Promise<SessionRow | undefined> {
    const rows = await this.shapes.rows<SessionRow>(
      "connect_sessions.byTokenHash",
      () => this.db.selectFrom("connect_sessions").selectAll().where("token_hash", "=", ""),
      [tokenHash],
    );
    return rows[0];
  }

  /**
   * Records the account a session linked. Conditional on the column still being empty so two
   * concurrent submissions from one session cannot both claim to be its first link.
   */
  async setLinkedAccount(
    id: number,
    accountId: string,
    ex: Kysely<DB> | Transaction<DB> = this.db,
  ): Promise<boolean> {
    const res = await ex
      .updateTable("connect_sessions")
      .set({ linked_account_id: accountId })
      .where("id", "=", id)
      .where("linked_account_id", "is", null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  get(id: number): Promise<SessionRow | undefined> {
    return this.db.selectFrom("connect_sessions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Drops sessions that expired before `before`; they can no longer authenticate anything. */
  async deleteExpired(before: number): Promise<number> {
    const res = await this.db
      .deleteFrom("connect_sessions")
      .where("expires_at", "<", before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
