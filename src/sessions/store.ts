import type { Kysely, Selectable, Transaction } from "kysely";
import { QueryShapes } from "../db/query-shapes.js";
import type { ConnectSessionsTable, DB } from "../db/schema.js";

export type SessionRow = Selectable<ConnectSessionsTable>;
export type NewSessionRow = Omit<SessionRow, "id">;

/** Persistence of connect sessions. Only the sessions service calls it. */
export class SessionsStore {
  private readonly shapes: QueryShapes;

  constructor(private readonly db: Kysely<DB>) {
    this.shapes = new QueryShapes(db);
  }

  async insert(row: NewSessionRow): Promise<SessionRow> {
    // Columns in one fixed order, so the compiled statement's placeholders line up with them.
    const columns = Object.keys(row).sort() as (keyof NewSessionRow)[];
    const ordered = Object.fromEntries(columns.map((c) => [c, row[c]])) as NewSessionRow;
    const [inserted] = await this.shapes.rows<{ id: number }>(
      `connect_sessions.insert/${columns.join(",")}`,
      () => this.db.insertInto("connect_sessions").values(ordered).returning("id"),
      columns.map((c) => row[c]),
    );
    return { ...row, id: Number(inserted!.id) };
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
