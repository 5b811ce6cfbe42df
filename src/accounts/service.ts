import type { Transaction } from "kysely";
import type { Catalog } from "../catalog/catalog.js";
import type { CatalogEntry } from "../catalog/schema.js";
import { aad, type Vault } from "../crypto/envelope.js";
import { generateId } from "../crypto/tokens.js";
import { fromJson, toJson } from "../db/json.js";
import type { DB } from "../db/schema.js";
import { PorticoError } from "../errors.js";
import type { Outbound } from "../http/outbound.js";
import type { SessionsService } from "../sessions/service.js";
import type { SessionRow } from "../sessions/store.js";
import { checkFields, isSecretField, type SplitValues, type Values } from "./credential-fields.js";
import {
  type LinkedAccount,
  type LinkedAccountMeta,
  type ListAccountsQuery,
  PAGE_SIZE,
  type PatchAccount,
  type StatusReason,
} from "./schemas.js";
import type { AccountRow, AccountsStore } from "./store.js";
import { verifyCredentials } from "./verify-credentials.js";

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
) => Promise<void>;

export type AccountsDeps = {
  catalog: Catalog;
  vault: Vault;
  outbound: Outbound;
  sessions: SessionsService;
  events?: AccountEventSink;
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
 * whether a hub submission creates an account or updates one (see the README's "Linking rules").
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
    if (this.deps.events) await this.deps.events(trx, event, this.toWire(row));
  }

  exists(projectId: string, id: string): Promise<boolean> {
    return this.store.exists(projectId, id);
  }

  // ---- the accounts API -------------------------------------------------------------------

  async list(projectId: string, q: ListAccountsQuery): Promise<LinkedAccount[]> {
    const size = q.page_size ?? PAGE_SIZE.default;
    const page = q.page ?? 1;
    const ownerIds = [...(q.origin_owner_ids ?? []), ...(q.origin_owner_id ? [q.origin_owner_id] : [])];
    const providers = [...(q.providers ?? []), ...(q.provider ? [q.provider] : [])];
    const rows = await this.store.list(
      projectId,
      { ownerIds, providers, accountIds: q.account_ids, statuses: q.status },
      size,
      (page - 1) * size,
    );
    return rows.map((r) => this.toWire(r));
  }

  async get(projectId: string, id: string): Promise<LinkedAccount> {
    return this.toWire(await this.require(projectId, id));
  }

  async meta(projectId: string, id: string): Promise<LinkedAccountMeta> {
    const row = await this.require(projectId, id);
    const entry = this.deps.catalog.get(row.provider);
    return { provider: row.provider, category: entry?.categories[0] ?? "unknown", models: {} };
  }

  async update(projectId: string, id: string, patch: PatchAccount): Promise<LinkedAccount> {
    const row = await this.require(projectId, id);
    if (patch.provider && patch.provider !== row.provider) {
      throw new PorticoError(
        "VALIDATION",
        "provider: an account's provider cannot be changed; link a new account instead",
      );
    }
    const set: Partial<AccountRow> = {};
    if (patch.origin_owner_id) set.origin_owner_id = patch.origin_owner_id;
    if (patch.origin_owner_name) set.origin_owner_name = patch.origin_owner_name;
    if (patch.origin_username !== undefined) set.origin_username = patch.origin_username;
    if (typeof patch.label === "string" || patch.label === null) set.label = patch.label;
    if (patch.metadata === null || (patch.metadata && Object.keys(patch.metadata).length > 0))
      set.metadata = toJson(patch.metadata);
    if (patch.type === "test") set.type = "test";

    const submitted = {
      ...(patch.setup_information ?? {}),
      ...(patch.credentials ?? {}),
      ...(patch.secrets ?? {}),
    };
    if (Object.keys(submitted).length > 0) {
      const entry = this.entryFor(row.provider);
      const split = checkFields(entry, submitted, this.readValues(row), {
        strict: true,
        context: "credentials",
      });
      await verifyCredentials(this.deps.outbound, entry, { ...split.setup, ...split.secrets });
      set.credentials = this.sealSecrets(row.id, split.secrets);
      set.setup_information = toJson(split.setup);
    }
    const changed = Object.entries(set).some(([k, v]) => row[k as keyof AccountRow] !== v);
    if (!changed) return this.toWire(row);
    set.updated_at = this.now();
    const next = { ...row, ...set };
    await this.store.transaction(async (trx) => {
      await this.store.update(trx, projectId, id, set);
      await this.emit(trx, "account.updated", next);
    });
    return this.toWire(next);
  }

  /** Deletes the account and with it the only copy of its credentials; returns what it was. */
  async delete(projectId: string, id: string): Promise<LinkedAccount> {
    return this.store.transaction(async (trx) => {
      const row = await this.store.get(projectId, id, trx);
      if (!row || !(await this.store.delete(trx, projectId, id))) throw accountNotFound(id);
      await this.emit(trx, "account.deleted", row);
      return this.toWire(row);
    });
  }

  // ---- linking from a connect session (the hub) -------------------------------------------

  /** True when this session may edit that account: its edit target, or the account it linked. */
  canSessionEdit(session: SessionRow, accountId: string): boolean {
    return session.account_id === accountId || session.linked_account_id === accountId;
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
    const multiple = session.multiple === 1;
    const editId = session.account_id ?? (multiple ? null : session.linked_account_id);
    if (editId) return this.editFromSession(session, editId, entry, submitted);

    const split = checkFields(entry, submitted);
    await verifyCredentials(this.deps.outbound, entry, { ...split.setup, ...split.secrets });
    return this.saveForSession(session, entry, split);
  }

  /** Writes verified values for a session: re-connect, or create and record the session's link. */
  async saveForSession(
    session: SessionRow,
    entry: CatalogEntry,
    split: SplitValues,
    extraSecrets: Values = {},
  ): Promise<LinkedAccount> {
    const multiple = session.multiple === 1;
    const result = await this.store.transaction(async (trx) => {
      const existing = multiple
        ? undefined
        : await this.store.findForReconnect(trx, session.project_id, session.origin_owner_id, entry.key);
      if (existing) {
        const next = this.applySession(existing, session, split, extraSecrets);
        await this.store.update(trx, session.project_id, existing.id, next);
        await this.emit(trx, "account.updated", next);
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
        created_at: now,
        updated_at: now,
      };
      const row = this.applySession(blank, session, split, extraSecrets);
      const claimed = await this.deps.sessions.recordLink(session.id, id, trx);
      // Another submission of this session linked first: edit that account instead of adding one.
      if (!claimed && !multiple) return null;
      await this.store.insert(trx, row);
      await this.emit(trx, "account.created", row);
      return row;
    });
    if (result) return this.toWire(result);
    const fresh = await this.deps.sessions.reload(session.id);
    return this.editFromSessionWithValues(fresh!, fresh!.linked_account_id!, entry, split, extraSecrets);
  }

  /** The hub's edit mode (`PATCH /hub/accounts/:id`), or a re-submission from a linking session. */
  async editFromSession(
    session: SessionRow,
    accountId: string,
    entry: CatalogEntry | null,
    submitted: Record<string, unknown>,
  ) {
    if (!this.canSessionEdit(session, accountId))
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
    extraSecrets: Values = {},
  ) {
    return this.store.transaction(async (trx) => {
      const row = await this.store.get(session.project_id, accountId, trx);
      if (!row) throw accountNotFound(accountId);
      if (row.provider !== entry.key)
        throw new PorticoError("VALIDATION", `integration_id: this session edits a ${row.provider} account`);
      const next = this.applySession(row, session, split, extraSecrets);
      await this.store.update(trx, session.project_id, accountId, next);
      await this.emit(trx, "account.updated", next);
      return this.toWire(next);
    });
  }

  /** What the hub's edit form is prefilled with: setup values, and placeholders for secrets. */
  async hubView(session: SessionRow, accountId: string): Promise<HubAccountView> {
    if (!this.canSessionEdit(session, accountId))
      throw new PorticoError("FORBIDDEN", "this connect session cannot open that account");
    const row = await this.require(session.project_id, accountId);
    const entry = this.deps.catalog.get(row.provider);
    const values = this.readValues(row);
    const secrets: Values = {};
    for (const f of entry?.auth.fields ?? [])
      if (isSecretField(f) && values.secrets[f.key] !== undefined) secrets[f.key] = REDACTED_SECRET;
    return { provider: row.provider, integrationId: row.provider, setupInformation: values.setup, secrets };
  }

  // ---- internals ----------------------------------------------------------------------------

  private applySession(
    row: AccountRow,
    session: SessionRow,
    split: SplitValues,
    extraSecrets: Values,
  ): AccountRow {
    return {
      ...row,
      origin_owner_id: session.origin_owner_id,
      origin_owner_name: session.origin_owner_name,
      origin_username: session.origin_username ?? row.origin_username,
      label: session.label ?? row.label,
      metadata: session.metadata ?? row.metadata,
      type: session.type,
      status: "active",
      status_reasons: null,
      credentials: this.sealSecrets(row.id, { ...split.secrets, ...extraSecrets }),
      setup_information: toJson(split.setup),
      updated_at: this.now(),
    };
  }

  private entryFor(provider: string): CatalogEntry {
    const entry = this.deps.catalog.get(provider);
    if (!entry) throw new PorticoError("CONFLICT", `provider ${provider} is no longer in the catalog`);
    return entry;
  }

  private async require(projectId: string, id: string): Promise<AccountRow> {
    const row = await this.store.get(projectId, id);
    if (!row) throw accountNotFound(id);
    return row;
  }

  /** Encrypts an account's secrets, bound to its row and column. */
  sealSecrets(accountId: string, secrets: Values): string {
    return this.deps.vault.encryptJson(secrets, aad("accounts", accountId, "credentials"));
  }

  /** Decrypts an account's secrets; only the proxy, verification and edit paths call this. */
  readValues(row: AccountRow): SplitValues {
    const secrets = row.credentials
      ? this.deps.vault.decryptJson<Values>(row.credentials, aad("accounts", row.id, "credentials"))
      : {};
    return { secrets, setup: fromJson<Values>(row.setup_information) ?? {} };
  }

  toWire(row: AccountRow): LinkedAccount {
    return {
      id: row.id,
      provider: row.provider,
      provider_name: this.deps.catalog.get(row.provider)?.name ?? null,
      status: row.status,
      status_reasons: fromJson<StatusReason[]>(row.status_reasons),
      origin_owner_id: row.origin_owner_id,
      origin_owner_name: row.origin_owner_name,
      origin_username: row.origin_username,
      setup_information: fromJson(row.setup_information),
      label: row.label,
      type: row.type === "test" ? "test" : "production",
      metadata: fromJson(row.metadata),
      integration_id: row.provider,
      created_at: new Date(Number(row.created_at)).toISOString(),
      updated_at: new Date(Number(row.updated_at)).toISOString(),
    };
  }
}

const accountNotFound = (id: string) => new PorticoError("NOT_FOUND", `id: account ${id} not found`);
