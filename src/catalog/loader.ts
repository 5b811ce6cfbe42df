import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { fromRoot } from "../paths.js";
import { type CatalogEntry, EntrySchema, entrySchema } from "./schema.js";

export const CATALOG_DIR = fromRoot("catalog");
export const LOGO_DIR = path.join(CATALOG_DIR, "logos");

export class CatalogError extends Error {
  override name = "CatalogError";
}

/**
 * Reads and validates every `catalog/*.yaml`. A bad entry stops start-up with the file and the
 * field named, so a broken provider never reaches a user.
 */
export function loadCatalogFiles(
  dir = CATALOG_DIR,
  opts: { allowLoopbackHttp?: boolean } = {},
): CatalogEntry[] {
  const schema = opts.allowLoopbackHttp ? entrySchema({ allowLoopbackHttp: true }) : EntrySchema;
  if (!fs.existsSync(dir))
    throw new CatalogError(`Invalid provider catalog: directory ${dir} does not exist`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  const problems: string[] = [];
  const entries: CatalogEntry[] = [];
  for (const file of files) {
    const rel = dir === CATALOG_DIR ? `catalog/${file}` : path.join(dir, file);
    let raw: unknown;
    try {
      raw = YAML.parse(fs.readFileSync(path.join(dir, file), "utf8"));
    } catch (err) {
      problems.push(`${rel}: not valid YAML (${(err as Error).message.split("\n")[0]})`);
      continue;
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues)
        problems.push(`${rel}: ${i.path.join(".") || "(entry)"}: ${i.message}`);
      continue;
    }
    const entry = parsed.data;
    if (`${entry.key}.yaml` !== file)
      problems.push(`${rel}: key: must match the file name (${entry.key}.yaml)`);
    if (!fs.existsSync(path.join(dir, "logos", entry.logo)))
      problems.push(
        `${rel}: logo: ${dir === CATALOG_DIR ? "catalog/logos" : path.join(dir, "logos")}/${entry.logo} does not exist`,
      );
    entries.push(entry);
  }
  if (problems.length)
    throw new CatalogError(`Invalid provider catalog:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return entries;
}
