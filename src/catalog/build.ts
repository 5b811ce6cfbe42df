import fs from "node:fs";
import path from "node:path";
import { Catalog } from "./catalog.js";
import { CatalogError, LOGO_DIR, loadCatalogFiles } from "./loader.js";
import { checkOverrideLogo } from "./logo.js";
import type { CatalogEntry } from "./schema.js";

export type BuiltCatalog = { catalog: Catalog; logos: Map<string, string> };

/** Entries served beside the files, with the folder of their logos (the sandbox's, for one). */
export type BuiltInEntries = { entries: CatalogEntry[]; logoDir: string };

/**
 * The catalog this Portico serves: the provider files, the directories of PORTICO_CATALOG_DIRS,
 * and the built-in entries its users stand on it with (the sandbox; the catalog does not know it).
 *
 * A catalog directory may also override any provider's logo: `logos/<key>.svg` (or `.png`) for a
 * provider it does not define replaces that provider's logo, checked as a drawn logo is
 * (self-contained, size-capped).
 */
export function buildCatalog(opts: {
  publicUrl: string;
  /** PORTICO_CATALOG_DIRS: private or custom providers, in the same format as catalog/. */
  extraDirs?: string[];
  allowLoopbackHttp?: boolean;
  builtIn?: BuiltInEntries[];
}): BuiltCatalog {
  const files = loadCatalogFiles();
  const logos = new Map<string, string>();
  for (const e of files) logos.set(e.logo, path.join(LOGO_DIR, e.logo));
  const extraEntries: { entries: CatalogEntry[]; dir: string }[] = [];
  const extra = (opts.extraDirs ?? []).flatMap((dir) => {
    const entries = loadCatalogFiles(dir, { allowLoopbackHttp: opts.allowLoopbackHttp });
    for (const e of entries) logos.set(e.logo, path.join(dir, "logos", e.logo));
    extraEntries.push({ entries, dir });
    return entries;
  });
  const builtIn = (opts.builtIn ?? []).flatMap((b) => {
    for (const e of b.entries) logos.set(e.logo, path.join(b.logoDir, e.logo));
    return b.entries;
  });
  let all = [...files, ...extra, ...builtIn];
  for (const { entries, dir } of extraEntries) all = withOverrides(all, entries, dir, logos);
  for (const [file, p] of logos) if (!fs.existsSync(p)) throw new Error(`logo ${file} is missing at ${p}`);
  return { catalog: new Catalog(all), logos };
}

/** Applies a directory's logo overrides: files named after a provider the directory does not define. */
function withOverrides(
  all: CatalogEntry[],
  own: CatalogEntry[],
  dir: string,
  logos: Map<string, string>,
): CatalogEntry[] {
  const logoDir = path.join(dir, "logos");
  if (!fs.existsSync(logoDir)) return all;
  const mine = new Set(own.map((e) => e.key));
  const overrides = new Map<string, string>();
  for (const file of fs.readdirSync(logoDir)) {
    const m = /^([a-z0-9][a-z0-9-]*)\.(svg|png)$/.exec(file);
    if (!m || mine.has(m[1]!)) continue;
    if (!all.some((e) => e.key === m[1])) continue;
    const problem = checkOverrideLogo(path.join(logoDir, file));
    if (problem)
      throw new CatalogError(`Invalid provider catalog:\n  - ${path.join(logoDir, file)}: ${problem}`);
    overrides.set(m[1]!, file);
  }
  if (!overrides.size) return all;
  return all.map((e) => {
    const file = overrides.get(e.key);
    if (!file) return e;
    // Namespaced by the directory, so an override never replaces another provider's file.
    const served = `override-${file}`;
    logos.set(served, path.join(logoDir, file));
    return { ...e, logo: served };
  });
}
