import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";
import { aad, Vault, VaultError } from "./envelope.js";

/**
 * Every column that holds a ciphertext, with the additional data it was sealed with. A new sealed
 * column must be added here, or `portico keys rotate` leaves it under the old key.
 */
type Row = Record<string, string>;
type SealedColumn = {
  table: keyof DB & string;
  /** The primary key: one column, or two (read in keyset order). */
  keys: [string] | [string, string];
  column: string;
  aadOf: (row: Row) => string;
  /** Only the rows where this column has this value (meta holds other, plain, rows too). */
  only?: { column: string; value: string };
};

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    table: "meta",
    keys: ["key"],
    column: "value",
    aadOf: (r) => aad("meta", r.key!, "value"),
    only: { column: "key", value: "keyring_check" },
  },
  {
    table: "accounts",
    keys: ["id"],
    column: "credentials",
    aadOf: (r) => aad("accounts", r.id!, "credentials"),
  },
  {
    table: "integrations",
    keys: ["project_id", "provider"],
    column: "client_secret",
    aadOf: (r) => aad("integrations", `${r.project_id}/${r.provider}`, "client_secret"),
  },
  {
    table: "webhook_endpoints",
    keys: ["id"],
    column: "secret",
    aadOf: (r) => aad("webhook_endpoints", r.id!, "secret"),
  },
  {
    table: "webhook_endpoints",
    keys: ["id"],
    column: "previous_secret",
    aadOf: (r) => aad("webhook_endpoints", r.id!, "previous_secret"),
  },
  {
    table: "connection_attempts",
    keys: ["id"],
    column: "pkce_verifier",
    aadOf: (r) => aad("connection_attempts", r.id!, "pkce_verifier"),
  },
];

export type ColumnReport = {
  column: string;
  /** Ciphertexts per key id, as found before rotating. */
  by_key: Record<string, number>;
  rotated: number;
  /** Rows another writer changed between read and write: that writer used the primary key. */
  changed_meanwhile: number;
  /** Ciphertexts that did not decrypt (key missing from the keyring, or damaged). */
  unreadable: number;
};

const BATCH = 500;
type Options = { batch?: number };
// biome-ignore lint/suspicious/noExplicitAny: one loop over several tables' columns.
type AnyDb = Kysely<any>;

/** Ciphertexts per key id in each sealed column. */
export async function keyUsage(
  db: Kysely<DB>,
  opts: Options = {},
): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const c of SEALED_COLUMNS) {
    const name = `${c.table}.${c.column}`;
    out[name] = {};
    await forEachBatch(db as AnyDb, c, null, opts.batch ?? BATCH, (rows) => {
      for (const r of rows) {
        const kid = Vault.keyIdOf(r[c.column]!) ?? "(not a ciphertext)";
        out[name]![kid] = (out[name]![kid] ?? 0) + 1;
      }
    });
  }
  return out;
}

/**
 * Re-encrypts every ciphertext not under the keyring's primary key, batch by batch. A row is
 * replaced only if it still holds the ciphertext that was read (compare-and-swap on the value),
 * so a concurrent write, such as a token refresh, is never undone; it was written under the
 * primary key anyway. Safe to run while Portico serves, and to run again.
 */
export async function rotateKeys(db: Kysely<DB>, vault: Vault, opts: Options = {}): Promise<ColumnReport[]> {
  const reports: ColumnReport[] = [];
  for (const c of SEALED_COLUMNS) {
    const report: ColumnReport = {
      column: `${c.table}.${c.column}`,
      by_key: {},
      rotated: 0,
      changed_meanwhile: 0,
      unreadable: 0,
    };
    await forEachBatch(db as AnyDb, c, vault.primaryKeyId, opts.batch ?? BATCH, async (rows) => {
      for (const r of rows) {
        const old = r[c.column]!;
        const kid = Vault.keyIdOf(old) ?? "(not a ciphertext)";
        report.by_key[kid] = (report.by_key[kid] ?? 0) + 1;
        let fresh: string;
        try {
          fresh = vault.encrypt(vault.decrypt(old, c.aadOf(r)), c.aadOf(r));
        } catch (err) {
          if (!(err instanceof VaultError)) throw err;
          report.unreadable++;
          continue;
        }
        let q = (db as AnyDb)
          .updateTable(c.table)
          .set({ [c.column]: fresh })
          .where(c.column, "=", old);
        for (const k of c.keys) q = q.where(k, "=", r[k]!);
        const res = await q.executeTakeFirst();
        if (Number(res.numUpdatedRows) > 0) report.rotated++;
        else report.changed_meanwhile++;
      }
    });
    reports.push(report);
  }
  return reports;
}

/**
 * Reads a sealed column in key order, `batch` rows at a time: all non-null values, or only those
 * not written under `skipKeyId`. Keyset order, so rows rewritten meanwhile are not read twice.
 */
async function forEachBatch(
  db: AnyDb,
  c: SealedColumn,
  skipKeyId: string | null,
  batch: number,
  fn: (rows: Row[]) => void | Promise<void>,
): Promise<void> {
  let after: string[] | null = null;
  for (;;) {
    let q = db
      .selectFrom(c.table)
      .select([...c.keys, c.column])
      .where(c.column, "is not", null);
    if (c.only) q = q.where(c.only.column, "=", c.only.value);
    if (after) {
      const last = after;
      q = q.where(({ eb, refTuple, tuple }) =>
        c.keys.length === 1
          ? eb(c.keys[0]!, ">", last[0]!)
          : eb(refTuple(c.keys[0]!, c.keys[1]!), ">", tuple(last[0]!, last[1]!)),
      );
    }
    for (const k of c.keys) q = q.orderBy(k);
    const rows = (await q.limit(batch).execute()) as Row[];
    if (rows.length === 0) return;
    // Filtered here, not with LIKE: `_` in a key id would be a wildcard there.
    await fn(skipKeyId ? rows.filter((r) => Vault.keyIdOf(r[c.column]!) !== skipKeyId) : rows);
    if (rows.length < batch) return;
    after = c.keys.map((k) => String(rows.at(-1)![k]));
  }
}
