import { isoTime } from "../db/iso-time.js";
import { fromJson } from "../db/json.js";
import type { LinkedAccount, StatusReason } from "./schemas.js";
import type { WireRow } from "./store.js";

/**
 * StackOne's LinkedAccount from an account row: exactly the model's fields, never a credential
 * and never one of Portico's own columns (health, leases), which a client's schema would refuse.
 * `wire-json.ts` writes the same document as text on the list and get paths.
 */
export function linkedAccount(row: WireRow, providerName: string | null): LinkedAccount {
  return {
    id: row.id,
    provider: row.provider,
    provider_name: providerName,
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
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
  };
}
