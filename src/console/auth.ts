import type { Transaction } from "kysely";
import { generateId, generateSecret, PREFIX, sha256 } from "../crypto/tokens.js";
import type { DB } from "../db/schema.js";
import { PorticoError } from "../errors.js";
import { type Actor, consoleActor } from "../history/actor.js";
import type { HistoryService } from "../history/service.js";
import { type ConsoleRole, isRole } from "./roles.js";
import type { ConsoleStore, ConsoleUserRow, SessionWithUser } from "./store.js";

/** How a session signed in: a break-glass link from the shell, an invitation, or single sign-on. */
export type SignInMethod = "link" | "invitation" | "sso";

/** A signed-in console browser, and who it is. */
export type ConsoleSession = {
  id: string;
  /** Who, as the header and the audit log name them: the user's email, or a break-glass link's name. */
  operator: string;
  /** The console user's email; null for a break-glass session. */
  email: string | null;
  userId: string | null;
  /** The organization it sees; null: every organization (a break-glass link without one). */
  organizationId: number | null;
  /** The user's role as it is now (a change applies at the next request); owner for break-glass. */
  role: ConsoleRole;
  method: SignInMethod;
  userAgent: string | null;
  createdAt: number;
  lastSeenAt: number;
  /** The absolute end of the session, and when it ends if left idle from now. */
  expiresAt: number;
  idleExpiresAt: number;
};

export type ConsoleLink = { url: string; expires_at: string; operator: string };

export type ConsoleAuthOptions = {
  publicUrl: string;
  linkMinutes: number;
  idleMinutes: number;
  /** How long an invitation link works (once). */
  invitationHours: number;
  history?: HistoryService;
  now?: () => number;
};

/** However active, a console session ends after a day: sign in again. */
export const SESSION_MAX_MS = 24 * 3600_000;
const TOUCH_RESOLUTION_MS = 60_000;
const USER_AGENT_MAX = 300;

/**
 * Console sign-in and sessions. A one-time link (`portico console link`, the owners' break-glass
 * access from a shell, or an invitation for one user) or single sign-on starts a session whose
 * token lives only in an HttpOnly cookie and, as a SHA-256 digest, in the database. Every request
 * reads the session with its user's current role and status, so a role change or a removal
 * applies at once. Sessions end when idle for the configured time, after a day at most, when
 * ended by their user or an owner, or on sign-out.
 */
export class ConsoleAuth {
  constructor(
    private readonly store: ConsoleStore,
    private readonly opts: ConsoleAuthOptions,
  ) {}

  /** Where audit entries of console actions that write nothing else go (a call tried, a session ended). */
  get executor() {
    return this.store.executor;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private get idleMs(): number {
    return this.opts.idleMinutes * 60_000;
  }

  private signInUrl = (token: string) =>
    `${this.opts.publicUrl}/console/sign-in?token=${encodeURIComponent(token)}`;

  /**
   * A break-glass link: signs its opener in as an owner named `operator`, of one organization or
   * (without one) of every organization, as whoever runs Portico's shell already is.
   */
  async createLink(
    operator: string,
    actor: Actor,
    opts: { organizationId?: number | null } = {},
  ): Promise<ConsoleLink> {
    const token = generateSecret(PREFIX.consoleLink);
    const now = this.now();
    const expiresAt = now + this.opts.linkMinutes * 60_000;
    const organizationId = opts.organizationId ?? null;
    await this.store.insertLink({
      id: generateId("cl_"),
      token_hash: sha256(token),
      operator,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
      user_id: null,
      organization_id: organizationId,
    });
    await this.opts.history?.audit(this.store.executor, {
      projectId: null,
      organizationId,
      actor,
      action: "console.link_created",
      detail: { operator, expires_at: new Date(expiresAt).toISOString() },
    });
    return { url: this.signInUrl(token), expires_at: new Date(expiresAt).toISOString(), operator };
  }

  /** An invitation link for one user, in the transaction that invites them (see users.ts). */
  async createInvitation(
    trx: Transaction<DB>,
    user: ConsoleUserRow,
  ): Promise<{ url: string; expires_at: string }> {
    const token = generateSecret(PREFIX.consoleLink);
    const now = this.now();
    const expiresAt = now + this.opts.invitationHours * 3600_000;
    await this.store.deleteUnusedLinksOf(user.id, trx);
    await this.store.insertLink(
      {
        id: generateId("cl_"),
        token_hash: sha256(token),
        operator: user.email,
        created_at: now,
        expires_at: expiresAt,
        used_at: null,
        user_id: user.id,
        organization_id: user.organization_id,
      },
      trx,
    );
    return { url: this.signInUrl(token), expires_at: new Date(expiresAt).toISOString() };
  }

  /** Whom a link would sign in, without using it; null when it does not work. */
  async describeLink(linkToken: string): Promise<{ operator: string; invitation: boolean } | null> {
    if (!linkToken.startsWith(PREFIX.consoleLink) || linkToken.length >= 200) return null;
    const link = await this.store.liveLink(sha256(linkToken), this.now());
    return link ? { operator: link.operator, invitation: link.user_id !== null } : null;
  }

  /** Uses a sign-in link once; returns the new session and the cookie token that names it. */
  async signIn(
    linkToken: string,
    meta: { userAgent?: string } = {},
  ): Promise<{ token: string; session: ConsoleSession }> {
    const now = this.now();
    const link =
      linkToken.startsWith(PREFIX.consoleLink) && linkToken.length < 200
        ? await this.store.consumeLink(sha256(linkToken), now)
        : undefined;
    if (!link)
      throw new PorticoError(
        "UNAUTHORIZED",
        "this sign-in link was already used or has expired: ask an owner for a new invitation, or run `portico console link`",
      );
    if (!link.user_id)
      return this.startSession(
        {
          operator: link.operator,
          user: null,
          organizationId: link.organization_id === null ? null : Number(link.organization_id),
          role: "owner",
          method: "link",
        },
        meta,
      );
    const user = await this.store.userById(link.user_id);
    if (!user || user.status === "removed")
      throw new PorticoError("UNAUTHORIZED", "this invitation was withdrawn: ask an owner for a new one");
    return this.signInUser(user, "invitation", meta);
  }

  /** Signs a console user in (an invitation just used, or single sign-on). */
  async signInUser(
    user: ConsoleUserRow,
    method: SignInMethod,
    meta: { userAgent?: string } = {},
  ): Promise<{ token: string; session: ConsoleSession }> {
    const now = this.now();
    await this.store.updateUser(user.id, { status: "active", last_sign_in_at: now, updated_at: now });
    return this.startSession(
      {
        operator: user.email,
        user,
        organizationId: Number(user.organization_id),
        role: isRole(user.role) ? user.role : "viewer",
        method,
      },
      meta,
    );
  }

  private async startSession(
    who: {
      operator: string;
      user: ConsoleUserRow | null;
      organizationId: number | null;
      role: ConsoleRole;
      method: SignInMethod;
    },
    meta: { userAgent?: string },
  ): Promise<{ token: string; session: ConsoleSession }> {
    const now = this.now();
    const token = generateSecret(PREFIX.consoleSession);
    const row = {
      id: generateId("cs_"),
      token_hash: sha256(token),
      operator: who.operator,
      created_at: now,
      last_seen_at: now,
      expires_at: now + SESSION_MAX_MS,
      user_id: who.user?.id ?? null,
      organization_id: who.organizationId,
      role: who.role,
      method: who.method,
      user_agent: meta.userAgent ? meta.userAgent.slice(0, USER_AGENT_MAX) : null,
    };
    await this.store.insertSession(row);
    const session = this.view({
      ...row,
      user_email: who.user?.email ?? null,
      user_role: who.user ? who.role : null,
      user_status: who.user ? "active" : null,
    });
    await this.opts.history?.audit(this.store.executor, {
      projectId: null,
      organizationId: session.organizationId,
      actor: consoleActor(session),
      action: "console.signed_in",
      detail: { method: who.method },
    });
    return { token, session };
  }

  /**
   * The live session a cookie names, or null: unknown, ended, idle too long, or its user removed
   * (then the session is deleted on the spot).
   */
  async authenticate(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token?.startsWith(PREFIX.consoleSession) || token.length > 200) return null;
    const row = await this.store.sessionByHash(sha256(token));
    const now = this.now();
    if (!row) return null;
    const userGone = row.user_id !== null && (row.user_status === null || row.user_status === "removed");
    if (userGone || row.expires_at <= now || row.last_seen_at + this.idleMs <= now) {
      await this.store.deleteSession(row.id);
      return null;
    }
    if (now - row.last_seen_at >= TOUCH_RESOLUTION_MS) {
      await this.store.touchSession(row.id, now);
      row.last_seen_at = now;
    }
    return this.view(row);
  }

  async signOut(session: ConsoleSession): Promise<void> {
    await this.store.deleteSession(session.id);
    await this.opts.history?.audit(this.store.executor, {
      projectId: null,
      organizationId: session.organizationId,
      actor: consoleActor(session),
      action: "console.signed_out",
    });
  }

  /**
   * Sessions still live: `mine` are the caller's own (a break-glass session sees only itself), an
   * organization's are every user's there (for its owners).
   */
  async sessions(scope: { mine: ConsoleSession } | { organizationId: number }): Promise<ConsoleSession[]> {
    const rows =
      "mine" in scope
        ? await this.store.listSessions(
            scope.mine.userId ? { userId: scope.mine.userId } : { id: scope.mine.id },
          )
        : await this.store.listSessions({ organizationId: scope.organizationId });
    const now = this.now();
    return rows
      .filter((r) => r.expires_at > now && r.last_seen_at + this.idleMs > now)
      .filter((r) => r.user_id === null || (r.user_status !== null && r.user_status !== "removed"))
      .map((r) => this.view(r));
  }

  /**
   * Ends one session at once: one of the caller's own, or (`organizationId`, for an owner) any of
   * that organization's. Another's session or an unknown id is a 404.
   */
  async endSession(
    caller: ConsoleSession,
    id: string,
    scope: { own: true } | { organizationId: number },
  ): Promise<ConsoleSession> {
    const candidates = await this.sessions("own" in scope ? { mine: caller } : scope);
    const target = candidates.find((s) => s.id === id);
    if (!target) throw new PorticoError("NOT_FOUND", `id: console session ${id} not found`);
    await this.store.deleteSession(id);
    await this.opts.history?.audit(this.store.executor, {
      projectId: null,
      organizationId: target.organizationId ?? caller.organizationId,
      actor: consoleActor(caller),
      action: "console.session_ended",
      targetType: "console_session",
      targetId: id,
      detail: { operator: target.operator, method: target.method },
    });
    return target;
  }

  purgeExpired(): Promise<void> {
    return this.store.purge(this.now(), this.idleMs);
  }

  private view(row: SessionWithUser): ConsoleSession {
    const role = row.user_id ? row.user_role : row.role;
    return {
      id: row.id,
      operator: row.user_email ?? row.operator,
      email: row.user_email,
      userId: row.user_id,
      organizationId: row.organization_id === null ? null : Number(row.organization_id),
      role: isRole(role) ? role : "viewer",
      method: (["link", "invitation", "sso"].includes(row.method) ? row.method : "link") as SignInMethod,
      userAgent: row.user_agent,
      createdAt: Number(row.created_at),
      lastSeenAt: Number(row.last_seen_at),
      expiresAt: Number(row.expires_at),
      idleExpiresAt: Math.min(Number(row.expires_at), Number(row.last_seen_at) + this.idleMs),
    };
  }
}
