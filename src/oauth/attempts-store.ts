import type { Kysely, Selectable, Updateable } from "kysely";
import type { ConnectionAttemptsTable, DB } from "../db/schema.js";

export type AttemptRow = Selectable<ConnectionAttemptsTable>;

/** Persistence of OAuth connection attempts. Only the attempts service calls it. */
export class AttemptsStore {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(row: AttemptRow): Promise<void> {
    await this.db.insertInto("connection_attempts").values(row).execute();
  }

  get(id: string): Promise<AttemptRow | undefined> {
    return this.db.selectFrom("connection_attempts").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Updates an attempt that is still pending; false when it already ended. */
  async updatePending(id: string, patch: Updateable<ConnectionAttemptsTable>): Promise<boolean> {
    const res = await this.db
      .updateTable("connection_attempts")
      .set(patch)
      .where("id", "=", id)
      .where("status", "=", "pending")
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /**
   * Consumes a state: clears it and returns the attempt in one statement, so a replayed callback
   * (same state, same code) finds nothing the second time.
   */
  async consumeState(stateHash: string, now: number): Promise<AttemptRow | undefined> {
    return this.db
      .updateTable("connection_attempts")
      .set({ state_hash: null, updated_at: now })
      .where("state_hash", "=", stateHash)
      .where("status", "=", "pending")
      .returningAll()
      .executeTakeFirst();
  }

  async deleteExpired(before: number): Promise<number> {
    const res = await this.db
      .deleteFrom("connection_attempts")
      .where("expires_at", "<", before)
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
