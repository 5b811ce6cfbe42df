import { z } from "zod";
import { generateId } from "../crypto/tokens.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { PorticoError } from "../errors.js";
import type { Actor } from "../history/actor.js";
import type { HistoryService } from "../history/service.js";
import type { TenancyService } from "../tenancy/service.js";
import type { ConsoleAuth } from "./auth.js";
import type { ConsoleRole } from "./roles.js";
import type { ConsoleStore, ConsoleUserRow } from "./store.js";

/** A console user as the console and the CLI show them. */
export type ConsoleUserView = {
  id: string;
  organization_id: number;
  email: string;
  role: ConsoleRole;
  /** invited: has not signed in yet; active: has. */
  status: "invited" | "active";
  created_at: string;
  created_by: string | null;
  last_sign_in_at: string | null;
};

export type Invitation = { user: ConsoleUserView; url: string; expires_at: string };

/** Why single sign-on let an email in, or did not. */
export type SsoMembership =
  | { user: ConsoleUserRow }
  | { refused: "not_verified" | "not_allowed" | "removed"; email: string | null };

export type ConsoleUsersOptions = {
  history?: HistoryService;
  /** Single sign-on's rules for emails nobody invited (none: only invited emails sign in). */
  sso?: { allowedDomains: string[]; defaultRole: ConsoleRole };
  now?: () => number;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** An email as users are keyed by: trimmed, lower case, checked. */
export function normalizeEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!z.email().safeParse(email).success || email.length > 254)
    throw new PorticoError("VALIDATION", "email: must be an email address");
  return email;
}

const view = (r: ConsoleUserRow): ConsoleUserView => ({
  id: r.id,
  organization_id: Number(r.organization_id),
  email: r.email,
  role: r.role as ConsoleRole,
  status: r.status === "active" ? "active" : "invited",
  created_at: iso(r.created_at)!,
  created_by: r.created_by,
  last_sign_in_at: iso(r.last_sign_in_at),
});

/**
 * The console's operators: people, by email, per organization, each with a role. Owners (or a
 * shell, with `portico console users`) invite them with a one-time link, change their role and
 * remove them; a removal ends their sessions at once. Removed users are kept as such, so that
 * single sign-on does not let them back in on its own.
 */
export class ConsoleUsers {
  constructor(
    private readonly store: ConsoleStore,
    private readonly auth: ConsoleAuth,
    private readonly tenancy: TenancyService,
    private readonly opts: ConsoleUsersOptions = {},
  ) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /**
   * Invites an email with a role and returns its one-time link. Inviting someone already there
   * sets their role and replaces any invitation not used yet; a removed user comes back.
   */
  async invite(p: {
    email: string;
    role: ConsoleRole;
    organizationId?: number;
    actor: Actor;
    /** From the console: an owner may not demote the organization's last owner this way. */
    keepAnOwner?: boolean;
  }): Promise<Invitation> {
    const email = normalizeEmail(p.email);
    const organizationId = await this.tenancy.organization(p.organizationId);
    const now = this.now();
    const attempt = () =>
      this.store.transaction(async (trx) => {
        const existing = await this.store.userByEmail(organizationId, email, trx);
        let user: ConsoleUserRow;
        if (existing) {
          if (p.keepAnOwner && existing.status !== "removed") await this.keepOwner(existing, p.role, trx);
          user = {
            ...existing,
            role: p.role,
            status: existing.status === "removed" ? "invited" : existing.status,
            updated_at: now,
          };
          await this.store.updateUser(
            existing.id,
            { role: user.role, status: user.status, updated_at: now },
            trx,
          );
        } else {
          user = {
            id: generateId("cu_"),
            organization_id: organizationId,
            email,
            role: p.role,
            status: "invited",
            created_at: now,
            created_by: p.actor.name,
            updated_at: now,
            last_sign_in_at: null,
          };
          await this.store.insertUser(user, trx);
        }
        const link = await this.auth.createInvitation(trx, user);
        await this.opts.history?.audit(trx, {
          projectId: null,
          organizationId,
          actor: p.actor,
          action: "console.user_invited",
          targetType: "console_user",
          targetId: user.id,
          detail: {
            email,
            role: p.role,
            ...(existing && existing.status !== "removed" && existing.role !== p.role
              ? { previous_role: existing.role }
              : {}),
          },
        });
        return { user: view(user), ...link };
      });
    try {
      return await attempt();
    } catch (err) {
      // Two invitations of one new email at once: the second finds the first's row.
      if (isUniqueViolation(err)) return attempt();
      throw err;
    }
  }

  /** An organization's users (every organization's without one), by email. */
  async list(organizationId?: number): Promise<ConsoleUserView[]> {
    return (await this.store.listUsers(organizationId)).map(view);
  }

  /** A user of the organization, by id or email; 404 when there is none (or they were removed). */
  async find(organizationId: number | undefined, idOrEmail: string): Promise<ConsoleUserRow> {
    let row: ConsoleUserRow | undefined;
    if (idOrEmail.startsWith("cu_")) {
      row = await this.store.userById(idOrEmail);
      if (row && organizationId !== undefined && Number(row.organization_id) !== organizationId)
        row = undefined;
    } else {
      const email = normalizeEmail(idOrEmail);
      if (organizationId !== undefined) row = await this.store.userByEmail(organizationId, email);
      else {
        const rows = (await this.store.usersByEmail(email)).filter((r) => r.status !== "removed");
        if (rows.length > 1)
          throw new PorticoError(
            "CONFLICT",
            `email: ${email} is a user of several organizations (${rows.map((r) => r.organization_id).join(", ")}): name one with --organization`,
          );
        row = rows[0];
      }
    }
    if (!row || row.status === "removed")
      throw new PorticoError("NOT_FOUND", `user: ${idOrEmail} is not a console user here`);
    return row;
  }

  /** Changes a user's role; their sessions follow at their next request. */
  async setRole(p: {
    organizationId: number;
    id: string;
    role: ConsoleRole;
    actor: Actor;
    keepAnOwner?: boolean;
  }): Promise<ConsoleUserView> {
    const row = await this.find(p.organizationId, p.id);
    if (row.role === p.role) return view(row);
    const now = this.now();
    await this.store.transaction(async (trx) => {
      if (p.keepAnOwner) await this.keepOwner(row, p.role, trx);
      await this.store.updateUser(row.id, { role: p.role, updated_at: now }, trx);
      await this.opts.history?.audit(trx, {
        projectId: null,
        organizationId: p.organizationId,
        actor: p.actor,
        action: "console.user_role_changed",
        targetType: "console_user",
        targetId: row.id,
        detail: { email: row.email, role: p.role, previous_role: row.role },
      });
    });
    return view({ ...row, role: p.role, updated_at: now });
  }

  /**
   * Removes a user: their sessions end at once (they are deleted in the same transaction, and
   * every request reads the user's status), and unused invitations stop working.
   */
  async remove(p: {
    organizationId?: number;
    idOrEmail: string;
    actor: Actor;
    keepAnOwner?: boolean;
  }): Promise<ConsoleUserView & { sessions_ended: number }> {
    const row = await this.find(p.organizationId, p.idOrEmail);
    const now = this.now();
    const ended = await this.store.transaction(async (trx) => {
      if (p.keepAnOwner) await this.keepOwner(row, null, trx);
      await this.store.updateUser(row.id, { status: "removed", updated_at: now }, trx);
      await this.store.deleteUnusedLinksOf(row.id, trx);
      const n = await this.store.deleteSessionsOf(row.id, trx);
      await this.opts.history?.audit(trx, {
        projectId: null,
        organizationId: Number(row.organization_id),
        actor: p.actor,
        action: "console.user_removed",
        targetType: "console_user",
        targetId: row.id,
        detail: { email: row.email, role: row.role, sessions_ended: n },
      });
      return n;
    });
    return { ...view(row), sessions_ended: ended };
  }

  /**
   * Who single sign-on signs in for a verified email: its user (the organization it used last,
   * when it has several), or, for an allowed domain, a new user of the first organization with
   * the default role. Everyone else is refused, and so is an email an owner removed there.
   */
  async forSso(email: string | undefined, verified: boolean): Promise<SsoMembership> {
    if (!email || !verified) return { refused: "not_verified", email: email ?? null };
    let normalized: string;
    try {
      normalized = normalizeEmail(email);
    } catch {
      return { refused: "not_verified", email };
    }
    const rows = await this.store.usersByEmail(normalized);
    const live = rows.find((r) => r.status !== "removed");
    if (live) return { user: live };
    const sso = this.opts.sso;
    const domain = normalized.slice(normalized.lastIndexOf("@") + 1);
    if (!sso?.allowedDomains.includes(domain)) return { refused: "not_allowed", email: normalized };
    const organizationId = await this.tenancy.organization();
    if (rows.some((r) => Number(r.organization_id) === organizationId))
      return { refused: "removed", email: normalized };
    const now = this.now();
    const user: ConsoleUserRow = {
      id: generateId("cu_"),
      organization_id: organizationId,
      email: normalized,
      role: sso.defaultRole,
      status: "active",
      created_at: now,
      created_by: "single sign-on",
      updated_at: now,
      last_sign_in_at: null,
    };
    try {
      await this.store.transaction(async (trx) => {
        await this.store.insertUser(user, trx);
        await this.opts.history?.audit(trx, {
          projectId: null,
          organizationId,
          actor: { type: "operator", id: user.id, name: normalized },
          action: "console.user_joined",
          targetType: "console_user",
          targetId: user.id,
          detail: { email: normalized, role: user.role, method: "sso" },
        });
      });
    } catch (err) {
      // The same person signing in twice at once: the other sign-in made the user.
      if (!isUniqueViolation(err)) throw err;
      const again = await this.store.userByEmail(organizationId, normalized);
      return again && again.status !== "removed"
        ? { user: again }
        : { refused: "removed", email: normalized };
    }
    return { user };
  }

  /** Refuses a change that would leave the organization without an owner who can sign in. */
  private async keepOwner(
    row: ConsoleUserRow,
    nextRole: ConsoleRole | null,
    trx: Parameters<Parameters<ConsoleStore["transaction"]>[0]>[0],
  ): Promise<void> {
    if (row.role !== "owner" || nextRole === "owner") return;
    if ((await this.store.otherOwners(Number(row.organization_id), row.id, trx)) === 0)
      throw new PorticoError(
        "CONFLICT",
        `user: ${row.email} is the organization's last owner: make another user owner first`,
      );
  }
}
