import { toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import { type Actor, SYSTEM_ACTOR } from "../history/actor.js";
import { checkFields } from "./credential-fields.js";
import type { LinkedAccount, PatchAccount } from "./schemas.js";
import type { AccountsService } from "./service.js";
import { type AccountRow, type AccountsStore, WIRE_COLUMNS } from "./store.js";
import { verifyCredentials } from "./verify-credentials.js";

/** Account columns an `updated` event names when they change (never the credential columns). */
const HISTORY_FIELDS = new Set<string>(
  WIRE_COLUMNS.filter((c) => !["id", "provider", "status_reasons", "created_at", "updated_at"].includes(c)),
);

/**
 * `PATCH /accounts/{id}` (PatchAccountExternalDto): owner, label, metadata, type and `shared` as
 * given; new credentials or setup values verified with the provider before they replace the old.
 */
export async function patchAccount(
  accounts: AccountsService,
  store: AccountsStore,
  projectId: string,
  id: string,
  patch: PatchAccount,
  actor: Actor = SYSTEM_ACTOR,
): Promise<LinkedAccount> {
  const row = await accounts.row(projectId, id);
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
    const entry = accounts.entryFor(row.provider);
    const split = checkFields(entry, submitted, accounts.readValues(row), { strict: true, sources });
    await verifyCredentials(accounts.outbound, entry, { ...split.setup, ...split.secrets });
    Object.assign(
      set,
      accounts.credentialColumns(row, { fields: split.secrets, tokens: accounts.openSecrets(row).tokens }),
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
  if (!changed) return accounts.toWire(row);
  set.updated_at = accounts.now();
  const next = { ...row, ...set };
  const fields = Object.keys(set).filter(
    (k) => HISTORY_FIELDS.has(k) && row[k as keyof AccountRow] !== set[k as keyof AccountRow],
  );
  const replaced = Object.keys(submitted).length > 0;
  await store.transaction(async (trx) => {
    if (!(await store.update(trx, projectId, id, row.credentials_version, set))) throw changedMeanwhile(id);
    await accounts.announce.emitUpdate(trx, row, next);
    await accounts.announce.record(trx, row, next, replaced ? "credentials_replaced" : "updated", actor, {
      fields,
    });
    // An operator's edit is a change to configuration like a deletion: in the audit log too.
    if (actor.type === "operator")
      await accounts.history?.audit(trx, {
        projectId,
        actor,
        action: replaced ? "account.credentials_replaced" : "account.updated",
        targetType: "account",
        targetId: id,
        detail: { fields },
      });
  });
  return accounts.toWire(next);
}

export const changedMeanwhile = (id: string) =>
  new PorticoError(
    "CONFLICT",
    `account ${id} changed while this request was handled (a token refresh or another edit); try again`,
  );
