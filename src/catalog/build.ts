import fs from "node:fs";
import path from "node:path";
import { SANDBOX_LOGO_DIR, sandboxEntries } from "../sandbox/entries.js";
import { Catalog } from "./catalog.js";
import { LOGO_DIR, loadCatalogFiles } from "./loader.js";

export type BuiltCatalog = { catalog: Catalog; logos: Map<string, string> };

/** The catalog this Portico serves: the provider files, plus the sandbox unless it is turned off. */
export function buildCatalog(opts: {
  sandbox: boolean;
  publicUrl: string;
  /** PORTICO_CATALOG_DIRS: private or custom providers, in the same format as catalog/. */
  extraDirs?: string[];
  allowLoopbackHttp?: boolean;
}): BuiltCatalog {
  const files = loadCatalogFiles();
  const sandbox = opts.sandbox ? sandboxEntries(opts.publicUrl) : [];
  const logos = new Map<string, string>();
  for (const e of files) logos.set(e.logo, path.join(LOGO_DIR, e.logo));
  const extra = (opts.extraDirs ?? []).flatMap((dir) => {
    const entries = loadCatalogFiles(dir, { allowLoopbackHttp: opts.allowLoopbackHttp });
    for (const e of entries) logos.set(e.logo, path.join(dir, "logos", e.logo));
    return entries;
  });
  for (const e of sandbox) logos.set(e.logo, path.join(SANDBOX_LOGO_DIR, e.logo));
  for (const [file, p] of logos) if (!fs.existsSync(p)) throw new Error(`logo ${file} is missing at ${p}`);
  return { catalog: new Catalog([...files, ...extra, ...sandbox]), logos };
}
