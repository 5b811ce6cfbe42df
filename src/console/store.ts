import type { Kysely, Selectable } from "kysely";
import type { ConsoleLinksTable, ConsoleSessionsTable, DB } from "../db/schema.js";

export type ConsoleSessionRow = Selectable<ConsoleSessionsTable>;

/** Persistence of console sign-in links and sessions; tokens as SHA-256 digests only. */
export class ConsoleStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** For audit entries written beside these (sign-ins are not part of a larger change). */
  get executor(): Kysely<DB> {
    return this.db;
  }

  async insertLink(row: Selectable<ConsoleLinksTable>): Promise<void> {
    await this.db.insertInto("console_links").values(row).execute();
  }

  /**
   * Marks a live, unused link used and says whether this call did it: one UPDATE, so of two
   * concurrent sign-ins with the same link exactly one wins.
   */
  async consumeLink(tokenHash: string, now: number): Promise<Selectable<ConsoleLinksTable> | undefined> {
    const res = await this.db
      .updateTable("console_links")
      .set({ used_at: now })
      .where("token_hash", "=", tokenHash)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return undefined;
    return this.db
      .selectFrom("console_links")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
  }

  async insertSession(row: ConsoleSessionRow): Promise<void> {
    await this.db.insertInto("console_sessions").values(row).execute();
  }

  sessionByHash(tokenHash: string): Promise<ConsoleSessionRow | undefined> {
    return this.db
      .selectFrom("console_sessions")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
  }

  async touchSession(id: string, now: number): Promise<void> {
    await this.db.updateTable("console_sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom("console_sessions").where("id", "=", id).execute();
  }

  /** Housekeeping: links past their expiry, sessions past their end or idle too long. */
  async purge(now: number, idleMs: number): Promise<void> {
    await this.db.deleteFrom("console_links").where("expires_at", "<", now).execute();
    await this.db
      .deleteFrom("console_sessions")
      .where((eb) => eb.or([eb("expires_at", "<", now), eb("last_seen_at", "<", now - idleMs)]))
      .execute();
  }
}
