import { type RawBuilder, sql } from "kysely";

/**
 * A LinkedAccount's JSON text, written by PostgreSQL: the same bytes as `linkedAccountJson`
 * (wire-json.ts; a test holds them equal on real rows) except `provider_name`, which comes from
 * the catalog in memory. A row answers `head` (`{"id":…,"provider":…`), `provider` and `tail`
 * (`,"status":…}`); the service puts the name between them.
 *
 * Why: a page of 100 accounts parsed into row objects and fields, then written again as JSON,
 * made about 400 KB of short-lived garbage a request in Node; under a steady load part of it
 * outlived the young generation, and the full collections it drove every half second were the
 * accounts list's p99. Three strings a row instead of fifteen, and no re-serialization.
 *
 * `to_json(text)` escapes as JSON.stringify does (`\b \f \n \r \t " \\`, other control
 * characters as lowercase `\u00xx`, nothing else). Timestamps are written as
 * `Date.prototype.toISOString` does for years 1970 to 9999; outside that `tail` is null and the
 * caller writes the page in JavaScript instead.
 */
const iso = (column: string) =>
  `to_char(timestamp 'epoch' + ${column} * interval '1 millisecond', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** The largest epoch millisecond of year 9999, the last that toISOString writes with four digits. */
const MAX_MS = 253_402_300_799_999;

const inRange = (column: string) => `${column} between 0 and ${MAX_MS}`;

const HEAD = `'{"id":' || to_json(id)::text || ',"provider":' || to_json(provider)::text`;

const TAIL = `case when ${inRange("created_at")} and ${inRange("updated_at")} then
  ',"status":' || to_json(status)::text
  || ',"status_reasons":' || coalesce(status_reasons, 'null')
  || ',"origin_owner_id":' || to_json(origin_owner_id)::text
  || ',"origin_owner_name":' || to_json(origin_owner_name)::text
  || ',"origin_username":' || coalesce(to_json(origin_username)::text, 'null')
  || ',"setup_information":' || coalesce(setup_information, 'null')
  || ',"label":' || coalesce(to_json(label)::text, 'null')
  || ',"type":' || case when type = 'test' then '"test"' else '"production"' end
  || ',"metadata":' || coalesce(metadata, 'null')
  || ',"shared":' || case when shared is null then 'null' when shared = 1 then 'true' else 'false' end
  || ',"integration_id":' || to_json(provider)::text
  || ',"created_at":"' || ${iso("created_at")} || '","updated_at":"' || ${iso("updated_at")} || '"}'
end`;

/** The select list of a page written by PostgreSQL: `head`, `provider` and `tail` (see above). */
export const WIRE_JSON_PARTS: RawBuilder<unknown>[] = [
  sql.raw(`${HEAD} as head`),
  sql.raw("provider"),
  sql.raw(`${TAIL} as tail`),
];

export type WireJsonParts = { head: string; provider: string; tail: string | null };
