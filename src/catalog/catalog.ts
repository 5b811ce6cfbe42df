import { CatalogError } from "./loader.js";
import type { CatalogEntry } from "./schema.js";

/** The providers this Portico knows, by key and by alias. Immutable once built. */
export class Catalog {
  private readonly byKey = new Map<string, CatalogEntry>();
  private readonly ordered: CatalogEntry[];
  private readonly rank: Map<string, number>;

  constructor(entries: CatalogEntry[]) {
    for (const e of entries) {
      for (const k of [e.key, ...e.aliases]) {
        if (this.byKey.has(k))
          throw new CatalogError(`Invalid provider catalog: key or alias "${k}" is used twice`);
        this.byKey.set(k, e);
      }
    }
    this.ordered = [...entries].sort((a, b) => a.name.localeCompare(b.name));
    this.rank = new Map(this.ordered.map((e, i) => [e.key, i]));
  }

  get(key: string): CatalogEntry | undefined {
    return this.byKey.get(key);
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Every entry, by name. */
  list(): readonly CatalogEntry[] {
    return this.ordered;
  }

  /** The entries for these keys, by name: work in the number of keys, not the catalog's size. */
  pick(keys: Iterable<string>): CatalogEntry[] {
    const out: CatalogEntry[] = [];
    for (const k of keys) {
      const e = this.byKey.get(k);
      if (e) out.push(e);
    }
    return out.sort((a, b) => this.rank.get(a.key)! - this.rank.get(b.key)!);
  }
}
