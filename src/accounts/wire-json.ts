import { isoTime as iso } from "../db/iso-time.js";
import type { WireRow } from "./store.js";

const str = JSON.stringify;

/**
 * A LinkedAccount's JSON text written straight from its row: the same document as
 * `JSON.stringify(AccountsService.toWire(row))` (a test holds them equal), without parsing the JSON
 * columns only to serialize them again. `metadata`, `setup_information` and `status_reasons` are
 * stored as JSON text written by `toJson`, so they go in as they are. Parsing and re-serializing
 * them was a third of a 25-account page's time after the query.
 */
export function linkedAccountJson(row: WireRow, providerName: string | null): string {
  return (
    `{"id":${str(row.id)},"provider":${str(row.provider)},` +
    `"provider_name":${providerName === null ? "null" : str(providerName)},` +
    `"status":${str(row.status)},"status_reasons":${row.status_reasons ?? "null"},` +
    `"origin_owner_id":${str(row.origin_owner_id)},"origin_owner_name":${str(row.origin_owner_name)},` +
    `"origin_username":${row.origin_username === null ? "null" : str(row.origin_username)},` +
    `"setup_information":${row.setup_information ?? "null"},` +
    `"label":${row.label === null ? "null" : str(row.label)},` +
    `"type":${row.type === "test" ? '"test"' : '"production"'},` +
    `"metadata":${row.metadata ?? "null"},` +
    `"shared":${row.shared === null ? "null" : Number(row.shared) === 1},` +
    `"integration_id":${str(row.provider)},` +
    `"created_at":"${iso(row.created_at)}","updated_at":"${iso(row.updated_at)}"}`
  );
}
