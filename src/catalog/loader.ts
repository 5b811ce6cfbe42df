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

/** How a catalog file is named in messages: `catalog/x.yaml` for the shipped ones. */
export const catalogPath = (dir: string, file: string): string =>
  path.resolve(dir) === CATALOG_DIR ? `catalog/${file}` : path.join(dir, file);

export type CatalogFile = { file: string; entry: CatalogEntry };

/**
 * Reads and validates every `<dir>/*.yaml`, collecting every problem (file and field named) rather
 * than stopping at the first, so start-up and `portico catalog lint` report them all at once.
 */
export type ReadOptions = {
  allowLoopbackHttp?: boolean;
  /** False where the logos are about to be drawn (`portico catalog logos`). */
  checkLogos?: boolean;
};

export function readCatalogDir(
  dir = CATALOG_DIR,
  opts: ReadOptions = {},
): { files: CatalogFile[]; problems: string[] } {
  const schema = opts.allowLoopbackHttp ? entrySchema({ allowLoopbackHttp: true }) : EntrySchema;
  if (!fs.existsSync(dir)) return { files: [], problems: [`directory ${dir} does not exist`] };
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort();
  const problems: string[] = [];
  const files: CatalogFile[] = [];
  for (const file of names) {
    const rel = catalogPath(dir, file);
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
    if (opts.checkLogos !== false && !fs.existsSync(path.join(dir, "logos", entry.logo)))
      problems.push(`${rel}: logo: ${catalogPath(dir, `logos/${entry.logo}`)} does not exist`);
    files.push({ file, entry });
  }
  return { files, problems };
}

/**
 * Reads the catalog for serving. A bad entry stops start-up with the file and the field named, so a
 * broken provider never reaches a user.
 */
export function loadCatalogFiles(dir = CATALOG_DIR, opts: ReadOptions = {}): CatalogEntry[] {
  const { files, problems } = readCatalogDir(dir, opts);
  if (problems.length)
    throw new CatalogError(`Invalid provider catalog:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  return files.map((f) => f.entry);
}
