import { generateId, generateSecret, PREFIX, sha256 } from "../crypto/tokens.js";
import { PorticoError } from "../errors.js";
import { type Actor, consoleActor } from "../history/actor.js";
import type { HistoryService } from "../history/service.js";
import type { ConsoleStore } from "./store.js";

/** A signed-in console browser. */
export type ConsoleSession = {
  id: string;
  operator: string;
  /** The absolute end of the session, and when it ends if left idle from now. */
  expiresAt: number;
  idleExpiresAt: number;
};

export type ConsoleLink = { url: string; expires_at: string; operator: string };

export type ConsoleAuthOptions = {
  publicUrl: string;
  linkMinutes: number;
  idleMinutes: number;
  history?: HistoryService;
  now?: () => number;
};

/** However active, a console session ends after a day: sign in again with a new link. */
export const SESSION_MAX_MS = 24 * 3600_000;
const TOUCH_RESOLUTION_MS = 60_000;

/**
 * Console sign-in: `portico console link` makes a one-time link (valid for minutes); using it
 * starts a session whose token lives only in an HttpOnly cookie and, as a SHA-256 digest, in the
 * database. Sessions end when idle for the configured time, after a day at most, or on sign-out.
 */
export class ConsoleAuth {
  constructor(
    private readonly store: ConsoleStore,
    private readonly opts: ConsoleAuthOptions,
  ) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private get idleMs(): number {
    return this.opts.idleMinutes * 60_000;
  }

  async createLink(operator: string, actor: Actor): Promise<ConsoleLink> {
    const token = generateSecret(PREFIX.consoleLink);
    const now = this.now();
    const expiresAt = now + this.opts.linkMinutes * 60_000;
    await this.store.insertLink({
      id: generateId("cl_"),
      token_hash: sha256(token),
      operator,
      created_at: now,
      expires_at: expiresAt,
      used_at: null,
    });
    await this.opts.history?.audit(this.store.executor, {
      projectId: null,
      actor,
      action: "console.link_created",
      detail: { operator, expires_at: new Date(expiresAt).toISOString() },
    });
    return {
      url: `${this.opts.publicUrl}/console/sign-in?token=${encodeURIComponent(token)}`,
      expires_at: new Date(expiresAt).toISOString(),
      operator,
    };
  }

  /** Uses a sign-in link once; returns the new session and the cookie token that names it. */
  async signIn(linkToken: string): Promise<{ token: string; session: ConsoleSession }> {
    const now = this.now();
    const link =
      linkToken.startsWith(PREFIX.consoleLink) && linkToken.length < 200
        ? await this.store.consumeLink(sha256(linkToken), now)
        : undefined;
    if (!link)
      throw new PorticoError(
        "UNAUTHORIZED",
        "this sign-in link was already used or has expired: run `portico console link` for a new one",
      );
    const token = generateSecret(PREFIX.consoleSession);
    const row = {
      id: generateId("cs_"),
      token_hash: sha256(token),
      operator: link.operator,
      created_at: now,
      last_seen_at: now,
      expires_at: now + SESSION_MAX_MS,
    };
    await this.store.insertSession(row);
    await this.opts.history?.audit(this.store.executor, {
      projectId: null,
      actor: consoleActor(row.id, row.operator),
      action: "console.signed_in",
    });
    return { token, session: this.view(row) };
  }

  /** The live session a cookie names, or null (unknown, ended, or idle too long). */
  async authenticate(token: string | undefined): Promise<ConsoleSession | null> {
    if (!token?.startsWith(PREFIX.consoleSession) || token.length > 200) return null;
    const row = await this.store.sessionByHash(sha256(token));
    const now = this.now();
    if (!row) return null;
    if (row.expires_at <= now || row.last_seen_at + this.idleMs <= now) {
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
      actor: consoleActor(session.id, session.operator),
      action: "console.signed_out",
    });
  }

  purgeExpired(): Promise<void> {
    return this.store.purge(this.now(), this.idleMs);
  }

  private view(row: {
    id: string;
    operator: string;
    expires_at: number;
    last_seen_at: number;
  }): ConsoleSession {
    return {
      id: row.id,
      operator: row.operator,
      expiresAt: Number(row.expires_at),
      idleExpiresAt: Math.min(Number(row.expires_at), Number(row.last_seen_at) + this.idleMs),
    };
  }
}
