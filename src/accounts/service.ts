import type { Transaction } from "kysely";
import type { Catalog } from "../catalog/catalog.js";
import type { Category } from "../catalog/categories.js";
import type { CatalogEntry } from "../catalog/schema.js";
import { aad, type Vault } from "../crypto/envelope.js";
import { generateId } from "../crypto/tokens.js";
import { fromJson, toJson } from "../db/json.js";
import type { DB } from "../db/schema.js";
import { PorticoError } from "../errors.js";
import { type Actor, SYSTEM_ACTOR, sessionActor } from "../history/actor.js";
import type { AccountEventInput, AccountEventType, HistoryService } from "../history/service.js";
import type { Outbound } from "../http/outbound.js";
import type { SessionsService } from "../sessions/service.js";
import type { SessionRow } from "../sessions/store.js";
import { checkFields, isSecretField, type SplitValues, type Values } from "./credential-fields.js";
import {
  type LinkedAccount,
  type ListAccountsQuery,
  PAGE_SIZE,
  type PatchAccount,
  type StatusReason,
} from "./schemas.js";
import { type AccountRow, type AccountsStore, WIRE_COLUMNS, type WireRow } from "./store.js";
import { verifyCredentials } from "./verify-credentials.js";
import { linkedAccountJson } from "./wire-json.js";

export type AccountEvent =
  | "account.created"
  | "account.updated"
  | "account.deleted"
  | "account.error"
  | "account.recovered";

/** Called inside the transaction that changes an account, so an event is never lost or invented. */
export type AccountEventSink = (
  trx: Transaction<DB>,
  event: AccountEvent,
  account: LinkedAccount,
  projectId: string,
) => Promise<void>;

/** OAuth tokens as Portico keeps them, inside the account's encrypted credentials. */
export type OAuthTokens = {
  access_token: string;
  refresh_token?: string;
  token_type?: string;
  scope?: string;
  /** Epoch ms; absent when the provider did not say. */
  expires_at?: number;
};

/** The decrypted credential document of an account. */
export type StoredSecrets = { fields: Values; tokens?: OAuthTokens };

export type AccountsDeps = {
  catalog: Catalog;
  vault: Vault;
  outbound: Outbound;
  sessions: SessionsService;
  events?: AccountEventSink;
  /** Account events and the audit of deletions, written in the changing transaction. */
  history?: HistoryService;
  /** When the scheduler should next refresh these tokens (null: never). */
  refreshAt?: (tokens: OAuthTokens, now: number) => number | null;
  now?: () => number;
};

/** The placeholder the hub shows (disabled, with an Edit button) instead of a stored secret. */
export const REDACTED_SECRET = "__secretvalue:**redacted**";

export type HubAccountView = {
  provider: string;
  integrationId: string;
  setupInformation: Values;
  secrets: Values;
};

/**
 * Linked accounts: the accounts API, the credential vault, and the linking rules that decide
 * whether a hub submission creates an account or updates one (docs/concepts.md, "Linking rules").
 */
export class AccountsService {
  constructor(
    private readonly store: AccountsStore,
    private readonly deps: AccountsDeps,
  ) {}

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  private async emit(trx: Transaction<DB>, event: AccountEvent, row: AccountRow): Promise<void> {
    if (this.deps.events) await this.deps.events(trx, event, this.toWire(row), row.project_id);
  }

  /** `account.updated`, and `account.recovered` too when the change took it out of `error`. */
  private async emitUpdate(trx: Transaction<DB>, before: AccountRow, next: AccountRow): Promise<void> {
    await this.emit(trx, "account.updated", next);
    if (before.status === "error" && next.status === "active")
      await this.emit(trx, "account.recovered", next);
  }

  /** The account's history entry, with `error` or `recovered` when its status crossed over. */
  private async record(
    trx: Transaction<DB>,
    before: AccountRow | null,
    next: AccountRow,
    type: AccountEventType,
    actor: Actor,
    detail: Record<string, unknown> | null = null,
  ): Promise<void> {
    if (!this.deps.history) return;
    const base = { projectId: next.project_id, accountId: next.id, provider: next.provider, actor };
    const events: AccountEventInput[] = [{ ...base, type, detail }];
    if (before?.status === "error" && next.status === "active") events.push({ ...base, type: "recovered" });
    if (before && before.status !== "error" && next.status === "error")
      events.push({ ...base, type: "error", detail });
    await this.deps.history.accountEvent(trx, ...events);
  }

  // ---- the accounts API -------------------------------------------------------------------

  async list(projectId: string, q: ListAccountsQuery): Promise<LinkedAccount[]> {
    return (await this.listRows(projectId, q)).map((r) => this.toWire(r));
  }

  /** `list` as the JSON text the API answers with (see wire-json.ts). */
  async listJson(projectId: string, q: ListAccountsQuery): Promise<string> {
    const rows = await this.listRows(projectId, q);
    return `[${rows.map((r) => linkedAccountJson(r, this.providerName(r.provider))).join(",")}]`;
  }

  /** `get` as the JSON text the API answers with. */
  async getJson(projectId: string, id: string): Promise<string> {
    const row = await this.store.getWire(projectId, id);
    if (!row) throw accountNotFound(id);
    return linkedAccountJson(row, this.providerName(row.provider));
  }

  private listRows(projectId: string, q: ListAccountsQuery): Promise<WireRow[]> {
    const size = q.page_size ?? PAGE_SIZE.default;
    const page = q.page ?? 1;
    // An empty `origin_owner_id=` filters for that empty id (no account has one), never for all:
    // a backend that passes a missing customer id must not get every customer's accounts.
    const ownerIds = [
      ...(q.origin_owner_ids ?? []),
      ...(q.origin_owner_id !== undefined ? [q.origin_owner_id] : []),
    ];
    const providers = [...(q.providers ?? []), ...(q.provider !== undefined ? [q.provider] : [])];
    return this.store.list(
      projectId,
      { ownerIds, providers, accountIds: q.account_ids, statuses: q.status },
      size,
      (page - 1) * size,
    );
  }

  private providerName(provider: string): string | null {
    return this.deps.catalog.get(provider)?.name ?? null;
  }

  async get(projectId: string, id: string): Promise<LinkedAccount> {
    const row = await this.store.getWire(projectId, id);
    if (!row) throw accountNotFound(id);
    return this.toWire(row);
  }

  /** The account's provider and that provider's categories (none once it left the catalog). */
  async meta(projectId: string, id: string): Promise<{ provider: string; categories: readonly Category[] }> {
    const row = await this.require(projectId, id);
    return { provider: row.provider, categories: this.deps.catalog.get(row.provider)?.categories ?? [] };
  }

  async update(
    projectId: string,
    id: string,
    patch: PatchAccount,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<LinkedAccount> {
    const row = await this.require(projectId, id);
    if (patch.provider && patch.provider !== row.provider) {
      throw new PorticoError(
        "VALIDATION",
        "provider: an account's provider cannot be changed; link a new account instead",
      );
    }
    if (patch.integration_id && patch.integration_id !== row.provider) {
      throw new PorticoError(
        "VALIDATION",
        `integration_id: account ${id} links through ${row.provider}; an account's integration cannot be changed`,
      );
    }
    const set: Partial<AccountRow> = {};
    if (patch.shared !== undefined) set.shared = patch.shared === null ? null : patch.shared ? 1 : 0;
    if (patch.origin_owner_id) set.origin_owner_id = patch.origin_owner_id;
    if (patch.origin_owner_name) set.origin_owner_name = patch.origin_owner_name;
    if (patch.origin_username !== undefined) set.origin_username = patch.origin_username;
    if (typeof patch.label === "string" || patch.label === null) set.label = patch.label;
    if (patch.metadata === null || (patch.metadata && Object.keys(patch.metadata).length > 0))
      set.metadata = toJson(patch.metadata);
    if (patch.type === "test") set.type = "test";

    const parts = {
      setup_information: patch.setup_information,
      credentials: patch.credentials,
      secrets: patch.secrets,
    };
    const submitted: Record<string, unknown> = {};
    const sources: Record<string, string> = {};
    for (const [part, values] of Object.entries(parts))
      for (const [k, v] of Object.entries(values ?? {})) {
        submitted[k] = v;
        sources[k] = part;
      }
    if (Object.keys(submitted).length > 0) {
      const entry = this.entryFor(row.provider);
      const split = checkFields(entry, submitted, this.readValues(row), { strict: true, sources });
      await verifyCredentials(this.deps.outbound, entry, { ...split.setup, ...split.secrets });
      Object.assign(
        set,
        this.credentialColumns(row, { fields: split.secrets, tokens: this.openSecrets(row).tokens }),
      );
      set.setup_information = toJson(split.setup);
      // Credentials the provider just accepted make a failed API-key or basic account work again;
      // an OAuth account recovers through its tokens (a refresh or a re-link), not its fields.
      if (row.status === "error" && entry.auth.scheme !== "oauth2") {
        set.status = "active";
        set.status_reasons = null;
      }
    }
    const changed = Object.entries(set).some(([k, v]) => row[k as keyof AccountRow] !== v);
    if (!changed) return this.toWire(row);
    set.updated_at = this.now();
    const next = { ...row, ...set };
    const fields = Object.keys(set).filter(
      (k) => HISTORY_FIELDS.has(k) && row[k as keyof AccountRow] !== set[k as keyof AccountRow],
    );
    const replaced = Object.keys(submitted).length > 0;
    await this.store.transaction(async (trx) => {
      if (!(await this.store.update(trx, projectId, id, row.credentials_version, set)))
        throw changedMeanwhile(id);
      await this.emitUpdate(trx, row, next);
      await this.record(trx, row, next, replaced ? "credentials_replaced" : "updated", actor, { fields });
      // An operator's edit is a change to configuration like a deletion: in the audit log too.
      if (actor.type === "operator")
        await this.deps.history?.audit(trx, {
          projectId,
          actor,
          action: replaced ? "account.credentials_replaced" : "account.updated",
          targetType: "account",
          targetId: id,
          detail: { fields },
        });
    });
    return this.toWire(next);
  }

  /** Deletes the account and with it the only copy of its credentials; returns what it was. */
  async delete(projectId: string, id: string, actor: Actor = SYSTEM_ACTOR): Promise<LinkedAccount> {
    return this.store.transaction(async (trx) => {
      const row = await this.store.get(projectId, id, trx);
      if (!row || !(await this.store.delete(trx, projectId, id))) throw accountNotFound(id);
      await this.emit(trx, "account.deleted", row);
      await this.record(trx, row, row, "deleted", actor);
      await this.deps.history?.audit(trx, {
        projectId,
        actor,
        action: "account.deleted",
        targetType: "account",
        targetId: id,
        detail: { provider: row.provider, origin_owner_id: row.origin_owner_id },
      });
      return this.toWire(row);
    });
  }

  // ---- linking from a connect session (the hub) -------------------------------------------

  /**
   * True when this session may edit that account: its edit target, or the account it linked.
   * A session resolved from another node's cache may not show a link made a moment ago: a
   * refusal is checked again on the stored row.
   */
  async sessionMayEdit(session: SessionRow, accountId: string): Promise<boolean> {
    const may = (s: SessionRow) => s.account_id === accountId || s.linked_account_id === accountId;
    if (may(session)) return true;
    const fresh = await this.deps.sessions.reload(session.id);
    return fresh !== undefined && may(fresh);
  }

  /**
   * A credentials form submitted through the hub. The linking rules:
   * - a session with `account_id` edits that account only;
   * - a session that already linked an account edits that one, unless `multiple`;
   * - otherwise the project's account for the same origin owner and provider is updated in place
   *   (re-connect), unless `multiple`, which always creates;
   * - credentials are verified with the provider before anything is written.
   */
  async linkFromSession(
    session: SessionRow,
    entry: CatalogEntry,
    submitted: Record<string, unknown>,
  ): Promise<LinkedAccount> {
    const editId = editTarget(session);
    if (editId) return this.editFromSession(session, editId, entry, submitted);

    const split = checkFields(entry, submitted);
    await verifyCredentials(this.deps.outbound, entry, { ...split.setup, ...split.secrets });
    return this.saveForSession(session, entry, split);
  }

  /**
   * Links an account whose credentials were obtained by OAuth (popup callback or client
   * credentials form), by the same rules as `linkFromSession`.
   */
  async linkWithTokens(
    session: SessionRow,
    entry: CatalogEntry,
    split: SplitValues,
    tokens: OAuthTokens,
  ): Promise<LinkedAccount> {
    const editId = editTarget(session);
    if (!editId) return this.saveForSession(session, entry, split, tokens);
    if (!(await this.sessionMayEdit(session, editId))) {
      throw new PorticoError("FORBIDDEN", "this connect session cannot edit that account");
    }
    return this.editFromSessionWithValues(session, editId, entry, split, tokens);
  }

  /** Writes verified values for a session: re-connect, or create and record the session's link. */
  async saveForSession(
    session: SessionRow,
    entry: CatalogEntry,
    split: SplitValues,
    tokens?: OAuthTokens,
  ): Promise<LinkedAccount> {
    const multiple = session.multiple === 1;
    const result = await this.store.transaction(async (trx) => {
      if (!multiple)
        await this.store.lockOwnerProvider(trx, session.project_id, session.origin_owner_id, entry.key);
      const existing = multiple
        ? undefined
        : await this.store.findForReconnect(trx, session.project_id, session.origin_owner_id, entry.key);
      if (existing) {
        const next = this.applySession(existing, session, split, tokens);
        if (
          !(await this.store.update(trx, session.project_id, existing.id, existing.credentials_version, next))
        ) {
          throw changedMeanwhile(existing.id);
        }
        await this.emitUpdate(trx, existing, next);
        await this.record(trx, existing, next, "reconnected", sessionActor(session));
        await this.deps.sessions.recordLink(session.id, existing.id, trx);
        return next;
      }
      const now = this.now();
      const id = generateId("acc_");
      const blank: AccountRow = {
        id,
        project_id: session.project_id,
        provider: entry.key,
        origin_owner_id: session.origin_owner_id,
        origin_owner_name: session.origin_owner_name,
        origin_username: null,
        label: null,
        metadata: null,
        type: "production",
        status: "active",
        status_reasons: null,
        credentials: null,
        setup_information: null,
        shared: null,
        created_at: now,
        updated_at: now,
        credentials_version: 0,
        token_expires_at: null,
        next_refresh_at: null,
        refresh_failures: 0,
        refresh_lease_until: null,
        refresh_lease_owner: null,
        last_refreshed_at: null,
      };
      const row = this.applySession(blank, session, split, tokens);
      const claimed = await this.deps.sessions.recordLink(session.id, id, trx);
      // Another submission of this session linked first: edit that account instead of adding one.
      if (!claimed && !multiple) return null;
      await this.store.insert(trx, row);
      await this.emit(trx, "account.created", row);
      await this.record(trx, null, row, "linked", sessionActor(session));
      return row;
    });
    if (result) return this.toWire(result);
    const fresh = await this.deps.sessions.reload(session.id);
    return this.editFromSessionWithValues(fresh!, fresh!.linked_account_id!, entry, split, tokens);
  }

  /** The hub's edit mode (`PATCH /hub/accounts/:id`), or a re-submission from a linking session. */
  async editFromSession(
    session: SessionRow,
    accountId: string,
    entry: CatalogEntry | null,
    submitted: Record<string, unknown>,
  ) {
    if (!(await this.sessionMayEdit(session, accountId)))
      throw new PorticoError("FORBIDDEN", "this connect session cannot edit that account");
    const row = await this.require(session.project_id, accountId);
    const target = this.entryFor(row.provider);
    if (entry && entry.key !== target.key) {
      throw new PorticoError("VALIDATION", `integration_id: this session edits a ${target.name} account`);
    }
    const split = checkFields(target, submitted, this.readValues(row));
    await verifyCredentials(this.deps.outbound, target, { ...split.setup, ...split.secrets });
    return this.editFromSessionWithValues(session, accountId, target, split);
  }

  async editFromSessionWithValues(
    session: SessionRow,
    accountId: string,
    entry: CatalogEntry,
    split: SplitValues,
    tokens?: OAuthTokens,
  ) {
    return this.store.transaction(async (trx) => {
      const row = await this.store.get(session.project_id, accountId, trx);
      if (!row) throw accountNotFound(accountId);
      if (row.provider !== entry.key)
        throw new PorticoError("VALIDATION", `integration_id: this session edits a ${row.provider} account`);
      const next = this.applySession(row, session, split, tokens ?? this.openSecrets(row).tokens);
      if (!(await this.store.update(trx, session.project_id, accountId, row.credentials_version, next))) {
        throw changedMeanwhile(accountId);
      }
      await this.emitUpdate(trx, row, next);
      await this.record(trx, row, next, "reconnected", sessionActor(session));
      return this.toWire(next);
    });
  }

  /** What the hub's edit form is prefilled with: setup values, and placeholders for secrets. */
  async hubView(session: SessionRow, accountId: string): Promise<HubAccountView> {
    if (!(await this.sessionMayEdit(session, accountId)))
      throw new PorticoError("FORBIDDEN", "this connect session cannot open that account");
    const row = await this.require(session.project_id, accountId);
    const entry = this.deps.catalog.get(row.provider);
    const values = this.readValues(row);
    const secrets: Values = {};
    for (const f of entry?.auth.fields ?? [])
      if (isSecretField(f) && values.secrets[f.key] !== undefined) secrets[f.key] = REDACTED_SECRET;
    return { provider: row.provider, integrationId: row.provider, setupInformation: values.setup, secrets };
  }

  // ---- OAuth token bookkeeping (called by the token manager) ------------------------------

  /** The account row as stored, for the proxy; `field` names where the id came from in a 404. */
  async row(projectId: string, id: string, field = "id"): Promise<AccountRow> {
    return this.require(projectId, id, field);
  }

  /** The stored row, or undefined when the account was deleted meanwhile (the token manager re-reads). */
  async rowForRefresh(projectId: string, id: string): Promise<AccountRow | undefined> {
    return this.store.get(projectId, id);
  }

  acquireRefreshLease(row: AccountRow, owner: string, leaseMs: number): Promise<boolean> {
    return this.store.acquireRefreshLease(row.id, row.credentials_version, owner, this.now(), leaseMs);
  }

  /** Accounts of every project by status and provider (the operators' metrics, not a tenant's view). */
  countByStatusAndProvider() {
    return this.store.countByStatusAndProvider();
  }

  dueForRefresh(limit: number) {
    return this.store.dueForRefresh(this.now(), limit);
  }

  /**
   * Stores refreshed tokens over the version they came from (fenced by the lease owner), sets the
   * account active again, and announces a recovery when it was in error. False when fenced out.
   */
  async commitRefresh(
    row: AccountRow,
    owner: string,
    tokens: OAuthTokens,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<boolean> {
    const secrets = this.openSecrets(row);
    const next: AccountRow = {
      ...row,
      ...this.credentialColumns(row, { fields: secrets.fields, tokens }),
      status: "active",
      status_reasons: null,
      updated_at: this.now(),
    };
    return this.store.transaction(async (trx) => {
      const ok = await this.store.commitRefresh(trx, row.id, row.credentials_version, owner, next);
      if (ok && row.status === "error") await this.emit(trx, "account.recovered", next);
      if (ok) await this.record(trx, row, next, "token_refreshed", actor);
      return ok;
    });
  }

  /**
   * Records a failed refresh: the account goes to `error` with the reason, the lease is released,
   * and the next attempt is scheduled (or none, when the retry budget is spent).
   */
  async failRefresh(
    row: AccountRow,
    owner: string,
    reason: { code: string; description: string },
    nextAttemptAt: number | null,
    actor: Actor = SYSTEM_ACTOR,
  ) {
    const reasons: StatusReason[] = [
      { code: reason.code, description: reason.description, timestamp: new Date(this.now()).toISOString() },
    ];
    const next: AccountRow = {
      ...row,
      status: "error",
      status_reasons: toJson(reasons),
      refresh_failures: row.refresh_failures + 1,
      next_refresh_at: nextAttemptAt,
      refresh_lease_until: null,
      refresh_lease_owner: null,
      updated_at: this.now(),
    };
    await this.store.transaction(async (trx) => {
      const ok = await this.store.commitRefresh(trx, row.id, row.credentials_version, owner, {
        status: next.status,
        status_reasons: next.status_reasons,
        refresh_failures: next.refresh_failures,
        next_refresh_at: next.next_refresh_at,
        refresh_lease_until: null,
        refresh_lease_owner: null,
        updated_at: next.updated_at,
      });
      if (ok && row.status !== "error") await this.emit(trx, "account.error", next);
      if (ok) await this.record(trx, row, next, "refresh_failed", actor, reason);
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  private applySession(
    row: AccountRow,
    session: SessionRow,
    split: SplitValues,
    tokens?: OAuthTokens,
  ): AccountRow {
    // An account stays with its owner: a session that edits it by `account_id` but names another
    // owner re-authenticates it without moving it (or renaming its owner).
    const sameOwner = row.origin_owner_id === session.origin_owner_id;
    return {
      ...row,
      ...this.credentialColumns(row, { fields: split.secrets, tokens }),
      origin_owner_name: sameOwner ? session.origin_owner_name : row.origin_owner_name,
      origin_username: (sameOwner ? session.origin_username : null) ?? row.origin_username,
      label: session.label ?? row.label,
      metadata: session.metadata ?? row.metadata,
      type: session.type,
      status: "active",
      status_reasons: null,
      setup_information: toJson(split.setup),
      updated_at: this.now(),
    };
  }

  /** The columns a credential write sets: the sealed document, a new version, the token schedule. */
  credentialColumns(row: Pick<AccountRow, "id" | "credentials_version">, secrets: StoredSecrets) {
    const now = this.now();
    return {
      credentials: this.sealSecrets(row.id, secrets),
      credentials_version: row.credentials_version + 1,
      token_expires_at: secrets.tokens?.expires_at ?? null,
      next_refresh_at:
        secrets.tokens && this.deps.refreshAt ? this.deps.refreshAt(secrets.tokens, now) : null,
      refresh_failures: 0,
      refresh_lease_until: null,
      refresh_lease_owner: null,
      last_refreshed_at: secrets.tokens ? now : null,
    };
  }

  private entryFor(provider: string): CatalogEntry {
    const entry = this.deps.catalog.get(provider);
    if (!entry) throw new PorticoError("CONFLICT", `provider ${provider} is no longer in the catalog`);
    return entry;
  }

  private async require(projectId: string, id: string, field = "id"): Promise<AccountRow> {
    const row = await this.store.get(projectId, id);
    if (!row) throw accountNotFound(id, field);
    return row;
  }

  /** Encrypts an account's credential document, bound to its row and column. */
  sealSecrets(accountId: string, secrets: StoredSecrets): string {
    return this.deps.vault.encryptJson(secrets, aad("accounts", accountId, "credentials"));
  }

  /** Decrypts an account's credential document; only the proxy, OAuth and edit paths call this. */
  openSecrets(row: Pick<AccountRow, "id" | "credentials">): StoredSecrets {
    if (!row.credentials) return { fields: {} };
    return this.deps.vault.decryptJson<StoredSecrets>(
      row.credentials,
      aad("accounts", row.id, "credentials"),
    );
  }

  /** Field values of an account: its secrets (decrypted) and setup values. */
  readValues(row: AccountRow): SplitValues {
    return { secrets: this.openSecrets(row).fields, setup: fromJson<Values>(row.setup_information) ?? {} };
  }

  toWire(row: WireRow): LinkedAccount {
    return {
      id: row.id,
      provider: row.provider,
      provider_name: this.providerName(row.provider),
      status: row.status,
      status_reasons: fromJson<StatusReason[]>(row.status_reasons),
      origin_owner_id: row.origin_owner_id,
      origin_owner_name: row.origin_owner_name,
      origin_username: row.origin_username,
      setup_information: fromJson(row.setup_information),
      label: row.label,
      type: row.type === "test" ? "test" : "production",
      metadata: fromJson(row.metadata),
      shared: row.shared === null ? null : Number(row.shared) === 1,
      integration_id: row.provider,
      created_at: new Date(Number(row.created_at)).toISOString(),
      updated_at: new Date(Number(row.updated_at)).toISOString(),
    };
  }
}

/** Account columns an `updated` event names when they change (never the credential columns). */
const HISTORY_FIELDS = new Set<string>(
  WIRE_COLUMNS.filter((c) => !["id", "provider", "status_reasons", "created_at", "updated_at"].includes(c)),
);

const changedMeanwhile = (id: string) =>
  new PorticoError(
    "CONFLICT",
    `account ${id} changed while this request was handled (a token refresh or another edit); try again`,
  );

const accountNotFound = (id: string, field = "id") =>
  new PorticoError("NOT_FOUND", `${field}: account ${id} not found`);

/** The account a session edits rather than creating one (linking rules 2 and 5). */
const editTarget = (session: SessionRow): string | null =>
  session.account_id ?? (session.multiple === 1 ? null : session.linked_account_id);
