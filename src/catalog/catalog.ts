import { CatalogError } from "./loader.js";
import type { CatalogEntry } from "./schema.js";

/** The providers this Portico knows, by key and by alias. Immutable once built. */
export class Catalog {
  private readonly byKey = new Map<string, CatalogEntry>();
  private readonly ordered: CatalogEntry[];

  constructor(entries: CatalogEntry[]) {
    for (const e of entries) {
      for (const k of [e.key, ...e.aliases]) {
        if (this.byKey.has(k))
          throw new CatalogError(`Invalid provider catalog: key or alias "${k}" is used twice`);
        this.byKey.set(k, e);
      }
    }
    this.ordered = [...entries].sort((a, b) => a.name.localeCompare(b.name));
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
}
