import type { Kysely, Selectable, Transaction } from "kysely";
import type { ConsoleLinksTable, ConsoleSessionsTable, ConsoleUsersTable, DB } from "../db/schema.js";

export type ConsoleSessionRow = Selectable<ConsoleSessionsTable>;
export type ConsoleLinkRow = Selectable<ConsoleLinksTable>;
export type ConsoleUserRow = Selectable<ConsoleUsersTable>;

/** A session with its user's current email, role and status (null for a break-glass session). */
export type SessionWithUser = ConsoleSessionRow & {
  user_email: string | null;
  user_role: string | null;
  user_status: string | null;
};

type Executor = Kysely<DB> | Transaction<DB>;

/** Persistence of console users, sign-in links and sessions; tokens as SHA-256 digests only. */
export class ConsoleStore {
  constructor(private readonly db: Kysely<DB>) {}

  /** For audit entries written beside these (sign-ins are not part of a larger change). */
  get executor(): Kysely<DB> {
    return this.db;
  }

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  // ---- links ----------------------------------------------------------------------------------

  async insertLink(row: ConsoleLinkRow, ex: Executor = this.db): Promise<void> {
    await ex.insertInto("console_links").values(row).execute();
  }

  /**
   * Marks a live, unused link used and says whether this call did it: one UPDATE, so of two
   * concurrent sign-ins with the same link exactly one wins.
   */
  async consumeLink(tokenHash: string, now: number): Promise<ConsoleLinkRow | undefined> {
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

  /** A link that still works, without using it (the sign-in page says whom it signs in). */
  liveLink(tokenHash: string, now: number): Promise<ConsoleLinkRow | undefined> {
    return this.db
      .selectFrom("console_links")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
  }

  /** A user's invitations not used yet: a new invitation or a removal voids them. */
  async deleteUnusedLinksOf(userId: string, ex: Executor = this.db): Promise<void> {
    await ex.deleteFrom("console_links").where("user_id", "=", userId).where("used_at", "is", null).execute();
  }

  // ---- users ----------------------------------------------------------------------------------

  async insertUser(row: ConsoleUserRow, ex: Executor = this.db): Promise<void> {
    await ex.insertInto("console_users").values(row).execute();
  }

  async updateUser(id: string, set: Partial<ConsoleUserRow>, ex: Executor = this.db): Promise<void> {
    await ex.updateTable("console_users").set(set).where("id", "=", id).execute();
  }

  userById(id: string, ex: Executor = this.db): Promise<ConsoleUserRow | undefined> {
    return ex.selectFrom("console_users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  userByEmail(organizationId: number, email: string, ex: Executor = this.db) {
    return ex
      .selectFrom("console_users")
      .selectAll()
      .where("organization_id", "=", organizationId)
      .where("email", "=", email)
      .executeTakeFirst();
  }

  /** Every organization's row for an email, most recently signed in first. */
  usersByEmail(email: string): Promise<ConsoleUserRow[]> {
    return this.db
      .selectFrom("console_users")
      .selectAll()
      .where("email", "=", email)
      .orderBy("last_sign_in_at", (ob) => ob.desc().nullsLast())
      .orderBy("created_at", "asc")
      .execute();
  }

  /** An organization's users (every organization's without one), removed ones left out. */
  listUsers(organizationId?: number): Promise<ConsoleUserRow[]> {
    let q = this.db.selectFrom("console_users").selectAll().where("status", "!=", "removed");
    if (organizationId !== undefined) q = q.where("organization_id", "=", organizationId);
    return q.orderBy("organization_id").orderBy("email").execute();
  }

  /** Owners of an organization who can still sign in, other than `exceptId`. */
  async otherOwners(organizationId: number, exceptId: string, ex: Executor = this.db): Promise<number> {
    const row = await ex
      .selectFrom("console_users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("organization_id", "=", organizationId)
      .where("role", "=", "owner")
      .where("status", "!=", "removed")
      .where("id", "!=", exceptId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  // ---- sessions -------------------------------------------------------------------------------

  async insertSession(row: ConsoleSessionRow): Promise<void> {
    await this.db.insertInto("console_sessions").values(row).execute();
  }

  private sessions() {
    return this.db
      .selectFrom("console_sessions as s")
      .leftJoin("console_users as u", "u.id", "s.user_id")
      .selectAll("s")
      .select(["u.email as user_email", "u.role as user_role", "u.status as user_status"]);
  }

  /** The session a cookie names, with its user's current email, role and status: one query a request. */
  sessionByHash(tokenHash: string): Promise<SessionWithUser | undefined> {
    return this.sessions().where("s.token_hash", "=", tokenHash).executeTakeFirst();
  }

  /**
   * Live sessions, newest use first: a user's, one by id, or an organization's (break-glass
   * sessions over every organization included: they act in it too).
   */
  listSessions(f: { userId?: string; organizationId?: number; id?: string }): Promise<SessionWithUser[]> {
    let q = this.sessions();
    if (f.userId !== undefined) q = q.where("s.user_id", "=", f.userId);
    const org = f.organizationId;
    if (org !== undefined)
      q = q.where((eb) => eb.or([eb("s.organization_id", "=", org), eb("s.organization_id", "is", null)]));
    if (f.id !== undefined) q = q.where("s.id", "=", f.id);
    return q.orderBy("s.last_seen_at", "desc").limit(500).execute();
  }

  async touchSession(id: string, now: number): Promise<void> {
    await this.db.updateTable("console_sessions").set({ last_seen_at: now }).where("id", "=", id).execute();
  }

  async deleteSession(id: string): Promise<boolean> {
    const res = await this.db.deleteFrom("console_sessions").where("id", "=", id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async deleteSessionsOf(userId: string, ex: Executor = this.db): Promise<number> {
    const res = await ex.deleteFrom("console_sessions").where("user_id", "=", userId).executeTakeFirst();
    return Number(res.numDeletedRows);
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
