import { type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from "kysely";
import { type CursorValue, cursorScope, decodeCursor, encodeCursor } from "../db/cursor.js";
import type { Dialect } from "../db/database.js";
import type { DB } from "../db/schema.js";
import { type AccountCounts, AccountCountsStore } from "./counts.js";
import type { LinkedAccount } from "./schemas.js";
import { WIRE_COLUMNS, type WireRow } from "./store.js";

export type BrowseFilter = {
  provider?: string;
  status?: string;
  /** An exact origin owner id. */
  owner?: string;
  /**
   * A search: accounts whose origin owner id starts with it (exactly), then those whose owner name
   * starts with it (ASCII letters in any case).
   */
  q?: string;
};

export type BrowsePage = { data: LinkedAccount[]; next: string | null };

export type { AccountCounts };

/** The highest code point: `prefix + TOP` bounds every string that starts with `prefix`. */
const TOP = "\u{10FFFF}";

type Query = SelectQueryBuilder<DB, "accounts", WireRow>;

/**
 * The operator's view of a project's accounts, built to stay fast at millions of accounts: keyset
 * pages (never OFFSET) in orders that an index serves for each filter, and counts by status and
 * provider kept as accounts change (migration 016). Newest first by default; a search walks owner
 * ids by prefix, then owner names by prefix, each along its own index.
 */
export class AccountsBrowser {
  /** On PostgreSQL prefix ranges compare bytewise, as the indexes behind them are built. */
  private readonly bytewise: RawBuilder<unknown>;
  readonly counter: AccountCountsStore;

  constructor(
    private readonly db: Kysely<DB>,
    dialect: Dialect,
    private readonly toWire: (row: WireRow) => LinkedAccount,
  ) {
    this.bytewise = dialect === "postgres" ? sql` collate "C"` : sql``;
    this.counter = new AccountCountsStore(db, dialect);
  }

  async page(projectId: string, f: BrowseFilter, limit: number, cursor?: string): Promise<BrowsePage> {
    const q = f.q?.trim();
    const rows = q
      ? await this.search(projectId, f, q, limit + 1, cursor)
      : await this.newest(projectId, f, limit + 1, cursor);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      data: page.map((r) => this.toWire(r.row)),
      next: rows.length > limit && last ? encodeCursor(last.scope, last.key) : null,
    };
  }

  private base(projectId: string, f: BrowseFilter): Query {
    let query = this.db.selectFrom("accounts").select(WIRE_COLUMNS).where("project_id", "=", projectId);
    if (f.provider) query = query.where("provider", "=", f.provider);
    if (f.status) query = query.where("status", "=", f.status);
    if (f.owner !== undefined) query = query.where("origin_owner_id", "=", f.owner);
    return query;
  }

  private async newest(projectId: string, f: BrowseFilter, n: number, cursor?: string) {
    const scope = "accounts:newest";
    const after = decodeCursor(scope, cursor, ["time", "text"], "cursor");
    let query = this.base(projectId, f);
    if (after) query = query.where(sql<boolean>`(created_at, id) < (${after[0]}, ${after[1]})`);
    const rows = await query.orderBy("created_at", "desc").orderBy("id", "desc").limit(n).execute();
    return rows.map((row) => ({ row, scope, key: [Number(row.created_at), row.id] as CursorValue[] }));
  }

  private async search(projectId: string, f: BrowseFilter, q: string, n: number, cursor?: string) {
    const byId = `accounts:owner-id:${q}`;
    const byName = `accounts:owner-name:${q}`;
    let idAfter: CursorValue[] | undefined;
    let nameAfter: CursorValue[] | undefined;
    if (cursor) {
      if (cursorScope(cursor) === byName)
        nameAfter = decodeCursor(byName, cursor, ["text", "text"], "cursor");
      else idAfter = decodeCursor(byId, cursor, ["text", "time", "text"], "cursor");
    }
    const c = this.bytewise;
    const chars = [...q].length;
    const idMatch = sql<boolean>`(origin_owner_id${c} >= ${q} and origin_owner_id${c} < ${q + TOP} and substr(origin_owner_id, 1, ${chars}) = ${q})`;
    const out: { row: WireRow; scope: string; key: CursorValue[] }[] = [];
    if (!nameAfter) {
      let query = this.base(projectId, f).where(idMatch);
      if (idAfter)
        query = query.where(
          sql<boolean>`(origin_owner_id${c}, created_at, id) > (${idAfter[0]}, ${idAfter[1]}, ${idAfter[2]})`,
        );
      const rows = await query
        .orderBy(sql`origin_owner_id${c}`)
        .orderBy("created_at")
        .orderBy("id")
        .limit(n)
        .execute();
      for (const row of rows)
        out.push({ row, scope: byId, key: [row.origin_owner_id, Number(row.created_at), row.id] });
      if (out.length >= n) return out;
    }
    // Lower-cased by the database on both sides, so the cursor holds exactly what the index does.
    const lq = sql`lower(cast(${q} as text))`;
    const name = sql`lower(origin_owner_name)${c}`;
    let query = this.base(projectId, f)
      .select(sql<string>`lower(origin_owner_name)`.as("name_key"))
      .where(sql<boolean>`${name} >= ${lq} and ${name} < ${lq} || ${TOP}`)
      .where(sql<boolean>`substr(lower(origin_owner_name), 1, ${chars}) = ${lq}`)
      .where(sql<boolean>`not ${idMatch}`);
    if (nameAfter) query = query.where(sql<boolean>`(${name}, id) > (${nameAfter[0]}, ${nameAfter[1]})`);
    const rows = await query
      .orderBy(name)
      .orderBy("id")
      .limit(n - out.length)
      .execute();
    for (const { name_key, ...row } of rows) out.push({ row, scope: byName, key: [name_key, row.id] });
    return out;
  }

  /** Accounts by status and by provider (the counts migration 016 keeps). */
  counts(projectId: string): Promise<AccountCounts> {
    return this.counter.counts(projectId);
  }
}
