import { type Kysely, sql } from "kysely";

// biome-ignore lint/suspicious/noExplicitAny: works inside the log's own transactions, on either database.
type AnyKysely = Kysely<any>;

type Lookup = {
  table: "request_log_keys" | "request_log_routes" | "request_log_hosts";
  /** The columns a row is found by (unique together). */
  columns: string[];
  /** Columns written with a new row that the others imply (a route's service). */
  extra: string[];
  /** Entries a process keeps; past it the cache starts over (provider URL prefixes grow with accounts). */
  max: number;
};

export const KEYS: Lookup = {
  table: "request_log_keys",
  columns: ["project_id", "key_id", "key_prefix"],
  extra: [],
  max: 100_000,
};
export const ROUTES: Lookup = {
  table: "request_log_routes",
  columns: ["method", "route", "provider_method"],
  extra: ["service"],
  max: 100_000,
};
export const HOSTS: Lookup = {
  table: "request_log_hosts",
  columns: ["provider", "prefix"],
  extra: [],
  max: 100_000,
};

/** Values looked up at once in one statement. */
const CHUNK = 100;
/** Joins a value's columns into its reference (no column holds NUL: history text is cleaned of it). */
export const SEP = "\u0000";

/**
 * The request log's lookup tables (keys, routes, provider URL prefixes): a row names each by a
 * small integer. Each process keeps what it looked up; a value it has not seen is found, or
 * added, at the next write, a few statements for a batch, never on a request's path. The
 * database numbers them, so every process agrees.
 */
export class LookupCache {
  private readonly ids = new Map<string, number>();

  constructor(readonly lookup: Lookup) {}

  /** The reference of a value: its lookup columns joined (what `get` takes). */
  static ref(values: readonly string[]): string {
    return values.join(SEP);
  }

  /** The id of a value this process knows (by `ref`), or undefined. */
  get(ref: string): number | undefined {
    return this.ids.get(ref);
  }

  /**
   * Ids of every item's value, looking up and adding those not cached. `refOf` names an item's
   * value (null: none); `valuesOf`, asked only for a value not cached, gives its lookup columns
   * and then its extra columns. `ex` is the log's database or a transaction on it.
   */
  async resolve<T>(
    ex: AnyKysely,
    items: readonly T[],
    refOf: (item: T) => string | null,
    valuesOf: (item: T) => readonly string[],
  ): Promise<void> {
    let missing: Map<string, readonly string[]> | null = null;
    for (const item of items) {
      const ref = refOf(item);
      if (ref === null || this.ids.has(ref) || missing?.has(ref)) continue;
      missing ??= new Map();
      missing.set(ref, valuesOf(item));
    }
    if (!missing) return;
    if (this.ids.size + missing.size > this.lookup.max) this.ids.clear();
    const wanted = [...missing.values()];
    const found = await this.find(ex, wanted);
    const absent = wanted.filter((v) => !found.has(this.refOfValues(v)));
    if (absent.length) {
      await this.insert(ex, absent);
      for (const [k, id] of await this.find(ex, absent)) found.set(k, id);
    }
    for (const [k, id] of found) this.ids.set(k, id);
    for (const ref of missing.keys())
      if (!this.ids.has(ref))
        throw new Error(`${this.lookup.table}: could not record ${ref.split(SEP).join(" ")}`);
  }

  private refOfValues(values: readonly string[]): string {
    return LookupCache.ref(values.slice(0, this.lookup.columns.length));
  }

  private async find(ex: AnyKysely, values: readonly (readonly string[])[]): Promise<Map<string, number>> {
    const { table, columns } = this.lookup;
    const out = new Map<string, number>();
    for (let i = 0; i < values.length; i += CHUNK) {
      const part = values.slice(i, i + CHUNK);
      const tuples = part.map((v) => sql`(${sql.join(columns.map((_, c) => sql`${v[c]}`))})`);
      const { rows } = await sql<Record<string, string | number>>`select id, ${sql.join(
        columns.map((c) => sql.ref(c)),
      )} from ${sql.table(table)} where (${sql.join(columns.map((c) => sql.ref(c)))}) in (values ${sql.join(
        tuples,
      )})`.execute(ex);
      for (const r of rows) out.set(LookupCache.ref(columns.map((c) => String(r[c]))), Number(r.id));
    }
    return out;
  }

  private async insert(ex: AnyKysely, values: readonly (readonly string[])[]): Promise<void> {
    const { table, columns, extra } = this.lookup;
    const all = [...columns, ...extra];
    for (let i = 0; i < values.length; i += CHUNK) {
      const tuples = values
        .slice(i, i + CHUNK)
        .map((v) => sql`(${sql.join(all.map((_, c) => sql`${v[c]}`))})`);
      await sql`insert into ${sql.table(table)} (${sql.join(all.map((c) => sql.ref(c)))}) values ${sql.join(
        tuples,
      )} on conflict do nothing`.execute(ex);
    }
  }
}
