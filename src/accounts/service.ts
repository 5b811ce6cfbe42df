import type { Catalog } from "../catalog/catalog.js";
import type { Category } from "../catalog/categories.js";
import type { CatalogEntry } from "../catalog/schema.js";
import { aad, type Vault } from "../crypto/envelope.js";
import { fromJson, toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import { type Actor, SYSTEM_ACTOR } from "../history/actor.js";
import type { HistoryService } from "../history/service.js";
import type { Outbound } from "../http/outbound.js";
import type { SessionsService } from "../sessions/service.js";
import type { SessionRow } from "../sessions/store.js";
import { AccountAnnouncer, type AccountEventSink } from "./announce.js";
import type { SplitValues, Values } from "./credential-fields.js";
import { AccountLinking } from "./linking.js";
import { patchAccount } from "./patch.js";
import {
  type LinkedAccount,
  type ListAccountsQuery,
  PAGE_SIZE,
  type PatchAccount,
  type StatusReason,
} from "./schemas.js";
import type { AccountFilters, AccountRow, AccountsStore, WireRow } from "./store.js";
import { linkedAccount } from "./wire.js";
import { linkedAccountJson } from "./wire-json.js";

export type { AccountEvent, AccountEventSink } from "./announce.js";
export { REDACTED_SECRET } from "./linking.js";

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
  /** When new credentials are next checked by the health checks (null: never). */
  healthCheckAt?: (now: number) => number | null;
  now?: () => number;
};

export type HubAccountView = {
  provider: string;
  integrationId: string;
  setupInformation: Values;
  secrets: Values;
};

/**
 * Linked accounts: the accounts API and the credential vault. The linking rules live in
 * linking.ts, the PATCH in patch.ts, the wire shape in wire.ts and wire-json.ts, the
 * announcements (webhooks, history) in announce.ts and the health checks in health.ts; this
 * class holds what they share and keeps the one entry point the other slices call.
 */
export class AccountsService {
  readonly announce: AccountAnnouncer;
  private readonly linking: AccountLinking;

  constructor(
    private readonly store: AccountsStore,
    private readonly deps: AccountsDeps,
  ) {
    this.announce = new AccountAnnouncer(deps, (row) => this.toWire(row));
    this.linking = new AccountLinking(this, store, deps.sessions);
  }

  now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  get outbound(): Outbound {
    return this.deps.outbound;
  }

  /** The history, for the audit entries the parts of this slice write. */
  get history(): HistoryService | undefined {
    return this.deps.history;
  }

  catalogEntry(provider: string): CatalogEntry | undefined {
    return this.deps.catalog.get(provider);
  }

  // ---- the accounts API -------------------------------------------------------------------

  async list(projectId: string, q: ListAccountsQuery): Promise<LinkedAccount[]> {
    return (await this.listRows(projectId, q)).map((r) => this.toWire(r));
  }

  /** `list` as the JSON text the API answers with (see wire-json.ts). */
  async listJson(projectId: string, q: ListAccountsQuery): Promise<string> {
    const parts = this.store.listJsonParts(projectId, ...this.pageOf(q));
    if (parts) {
      const rows = await parts;
      // A timestamp PostgreSQL does not write as toISOString would leaves `tail` null (wire-json-sql.ts).
      if (rows.every((r) => r.tail !== null)) {
        return `[${rows.map((r) => `${r.head},"provider_name":${this.providerNameJson(r.provider)}${r.tail}`).join(",")}]`;
      }
    }
    const rows = await this.listRows(projectId, q);
    return `[${rows.map((r) => linkedAccountJson(r, this.providerName(r.provider))).join(",")}]`;
  }

  /** `get` as the JSON text the API answers with. */
  async getJson(projectId: string, id: string): Promise<string> {
    return this.wireJson(await this.store.getWire(projectId, id), id);
  }

  /** getJson at once where the database answers without waiting (SQLite), else null. */
  getJsonNow(projectId: string, id: string): string | null {
    const row = this.store.getWireNow(projectId, id);
    return row === null ? null : this.wireJson(row, id);
  }

  private wireJson(row: WireRow | undefined, id: string): string {
    if (!row) throw accountNotFound(id);
    return linkedAccountJson(row, this.providerName(row.provider));
  }

  private listRows(projectId: string, q: ListAccountsQuery): Promise<WireRow[]> {
    return this.store.list(projectId, ...this.pageOf(q));
  }

  /** A list query as the store's filters, limit and offset. */
  private pageOf(q: ListAccountsQuery): [AccountFilters, number, number] {
    const size = q.page_size ?? PAGE_SIZE.default;
    const page = q.page ?? 1;
    // An empty `origin_owner_id=` filters for that empty id (no account has one), never for all:
    // a backend that passes a missing customer id must not get every customer's accounts.
    const ownerIds = [
      ...(q.origin_owner_ids ?? []),
      ...(q.origin_owner_id !== undefined ? [q.origin_owner_id] : []),
    ];
    const providers = [...(q.providers ?? []), ...(q.provider !== undefined ? [q.provider] : [])];
    return [{ ownerIds, providers, accountIds: q.account_ids, statuses: q.status }, size, (page - 1) * size];
  }

  private providerName(provider: string): string | null {
    return this.deps.catalog.get(provider)?.name ?? null;
  }

  /** The provider's name as JSON text (`null` once it left the catalog). */
  private providerNameJson(provider: string): string {
    const name = this.providerName(provider);
    return name === null ? "null" : JSON.stringify(name);
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

  /** `PATCH /accounts/{id}` (patch.ts). */
  update(
    projectId: string,
    id: string,
    patch: PatchAccount,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<LinkedAccount> {
    return patchAccount(this, this.store, projectId, id, patch, actor);
  }

  /** Deletes the account and with it the only copy of its credentials; returns what it was. */
  async delete(projectId: string, id: string, actor: Actor = SYSTEM_ACTOR): Promise<LinkedAccount> {
    return this.store.transaction(async (trx) => {
      const row = await this.store.get(projectId, id, trx);
      if (!row || !(await this.store.delete(trx, projectId, id))) throw accountNotFound(id);
      await this.announce.emit(trx, "account.deleted", row);
      await this.announce.record(trx, row, row, "deleted", actor);
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

  // ---- linking from a connect session (the hub): linking.ts ----------------------------------

  sessionMayEdit(session: SessionRow, accountId: string): Promise<boolean> {
    return this.linking.sessionMayEdit(session, accountId);
  }

  linkFromSession(session: SessionRow, entry: CatalogEntry, submitted: Record<string, unknown>) {
    return this.linking.linkFromSession(session, entry, submitted);
  }

  linkWithTokens(session: SessionRow, entry: CatalogEntry, split: SplitValues, tokens: OAuthTokens) {
    return this.linking.linkWithTokens(session, entry, split, tokens);
  }

  saveForSession(session: SessionRow, entry: CatalogEntry, split: SplitValues, tokens?: OAuthTokens) {
    return this.linking.saveForSession(session, entry, split, tokens);
  }

  editFromSession(
    session: SessionRow,
    accountId: string,
    entry: CatalogEntry | null,
    submitted: Record<string, unknown>,
  ) {
    return this.linking.editFromSession(session, accountId, entry, submitted);
  }

  editFromSessionWithValues(
    session: SessionRow,
    accountId: string,
    entry: CatalogEntry,
    split: SplitValues,
    tokens?: OAuthTokens,
  ) {
    return this.linking.editFromSessionWithValues(session, accountId, entry, split, tokens);
  }

  hubView(session: SessionRow, accountId: string): Promise<HubAccountView> {
    return this.linking.hubView(session, accountId);
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
      if (ok && row.status === "error") await this.announce.emit(trx, "account.recovered", next);
      if (ok) await this.announce.record(trx, row, next, "token_refreshed", actor);
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
      if (ok && row.status !== "error") await this.announce.emit(trx, "account.error", next);
      if (ok) await this.announce.record(trx, row, next, "refresh_failed", actor, reason);
    });
  }

  // ---- internals ----------------------------------------------------------------------------

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
      // New credentials get a whole interval before their first health check.
      health_next_at: this.deps.healthCheckAt ? this.deps.healthCheckAt(now) : null,
    };
  }

  entryFor(provider: string): CatalogEntry {
    const entry = this.deps.catalog.get(provider);
    if (!entry) throw new PorticoError("CONFLICT", `provider ${provider} is no longer in the catalog`);
    return entry;
  }

  async require(projectId: string, id: string, field = "id"): Promise<AccountRow> {
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
    return linkedAccount(row, this.providerName(row.provider));
  }
}

const accountNotFound = (id: string, field = "id") =>
  new PorticoError("NOT_FOUND", `${field}: account ${id} not found`);
