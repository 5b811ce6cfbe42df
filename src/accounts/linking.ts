import type { CatalogEntry } from "../catalog/schema.js";
import { generateId } from "../crypto/tokens.js";
import { toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import { sessionActor } from "../history/actor.js";
import type { SessionsService } from "../sessions/service.js";
import type { SessionRow } from "../sessions/store.js";
import { checkFields, isSecretField, type SplitValues, type Values } from "./credential-fields.js";
import { changedMeanwhile } from "./patch.js";
import type { LinkedAccount } from "./schemas.js";
import type { AccountsService, HubAccountView, OAuthTokens } from "./service.js";
import type { AccountRow, AccountsStore } from "./store.js";
import { verifyCredentials } from "./verify-credentials.js";

/** The placeholder the hub shows (disabled, with an Edit button) instead of a stored secret. */
export const REDACTED_SECRET = "__secretvalue:**redacted**";

/**
 * The linking rules (docs/concepts.md, "Linking rules"): whether a hub submission creates an account or
 * updates one, for credentials forms and OAuth alike.
 */
export class AccountLinking {
  constructor(
    private readonly accounts: AccountsService,
    private readonly store: AccountsStore,
    private readonly sessions: SessionsService,
  ) {}

  /**
   * True when this session may edit that account: its edit target, or the account it linked.
   * A session resolved from another node's cache may not show a link made a moment ago: a
   * refusal is checked again on the stored row.
   */
  async sessionMayEdit(session: SessionRow, accountId: string): Promise<boolean> {
    const may = (s: SessionRow) => s.account_id === accountId || s.linked_account_id === accountId;
    if (may(session)) return true;
    const fresh = await this.sessions.reload(session.id);
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
    await verifyCredentials(this.accounts.outbound, entry, { ...split.setup, ...split.secrets });
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
    const { announce } = this.accounts;
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
        await announce.emitUpdate(trx, existing, next);
        await announce.record(trx, existing, next, "reconnected", sessionActor(session));
        await this.sessions.recordLink(session.id, existing.id, trx);
        return next;
      }
      const now = this.accounts.now();
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
        health_checked_at: null,
        health_result: null,
        health_detail: null,
        health_next_at: null,
      };
      const row = this.applySession(blank, session, split, tokens);
      const claimed = await this.sessions.recordLink(session.id, id, trx);
      // Another submission of this session linked first: edit that account instead of adding one.
      if (!claimed && !multiple) return null;
      await this.store.insert(trx, row);
      await announce.emit(trx, "account.created", row);
      await announce.record(trx, null, row, "linked", sessionActor(session));
      return row;
    });
    if (result) return this.accounts.toWire(result);
    const fresh = await this.sessions.reload(session.id);
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
    const row = await this.accounts.row(session.project_id, accountId);
    const target = this.accounts.entryFor(row.provider);
    if (entry && entry.key !== target.key) {
      throw new PorticoError("VALIDATION", `integration_id: this session edits a ${target.name} account`);
    }
    const split = checkFields(target, submitted, this.accounts.readValues(row));
    await verifyCredentials(this.accounts.outbound, target, { ...split.setup, ...split.secrets });
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
      if (!row) throw new PorticoError("NOT_FOUND", `id: account ${accountId} not found`);
      if (row.provider !== entry.key)
        throw new PorticoError("VALIDATION", `integration_id: this session edits a ${row.provider} account`);
      const next = this.applySession(row, session, split, tokens ?? this.accounts.openSecrets(row).tokens);
      if (!(await this.store.update(trx, session.project_id, accountId, row.credentials_version, next))) {
        throw changedMeanwhile(accountId);
      }
      await this.accounts.announce.emitUpdate(trx, row, next);
      await this.accounts.announce.record(trx, row, next, "reconnected", sessionActor(session));
      return this.accounts.toWire(next);
    });
  }

  /** What the hub's edit form is prefilled with: setup values, and placeholders for secrets. */
  async hubView(session: SessionRow, accountId: string): Promise<HubAccountView> {
    if (!(await this.sessionMayEdit(session, accountId)))
      throw new PorticoError("FORBIDDEN", "this connect session cannot open that account");
    const row = await this.accounts.row(session.project_id, accountId);
    const entry = this.accounts.catalogEntry(row.provider);
    const values = this.accounts.readValues(row);
    const secrets: Values = {};
    for (const f of entry?.auth.fields ?? [])
      if (isSecretField(f) && values.secrets[f.key] !== undefined) secrets[f.key] = REDACTED_SECRET;
    return { provider: row.provider, integrationId: row.provider, setupInformation: values.setup, secrets };
  }

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
      ...this.accounts.credentialColumns(row, { fields: split.secrets, tokens }),
      origin_owner_name: sameOwner ? session.origin_owner_name : row.origin_owner_name,
      origin_username: (sameOwner ? session.origin_username : null) ?? row.origin_username,
      label: session.label ?? row.label,
      metadata: session.metadata ?? row.metadata,
      type: session.type,
      status: "active",
      status_reasons: null,
      setup_information: toJson(split.setup),
      updated_at: this.accounts.now(),
    };
  }
}

/** The account a session edits rather than creating one (linking rules 2 and 5). */
const editTarget = (session: SessionRow): string | null =>
  session.account_id ?? (session.multiple === 1 ? null : session.linked_account_id);
