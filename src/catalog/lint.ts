import fs from "node:fs";
import path from "node:path";
import { CATEGORIES } from "./categories.js";
import { GENERATED_DOCS, logosReadme, withGenerated } from "./docs.js";
import { CATALOG_DIR, catalogPath, readCatalogDir } from "./loader.js";
import { checkOverrideLogo, type IconSet, LOGO_MAX_BYTES, NOT_SELF_CONTAINED, renderLogo } from "./logo.js";
import type { CatalogEntry } from "./schema.js";
import { isSecretField, oauthParams, statusList, templateNames } from "./schema.js";
import { DNS_LABEL, hostPart } from "./template.js";

/**
 * `portico catalog lint`: everything a catalog entry must satisfy beyond loading, checked over the
 * whole catalog at once so every problem is reported in one run. Part of `npm test`.
 */

export type LintOptions = {
  dir?: string;
  /** The icon set, to redraw every logo; null checks only what the files themselves show. */
  icons: IconSet | null;
  /** The docs folder whose generated blocks must match; null skips the check (private catalogs). */
  docsDir?: string | null;
  /** Keys the catalog is served with (the sandbox's), which no entry may reuse. */
  reservedKeys?: string[];
  allowLoopbackHttp?: boolean;
  /** Check the entries only, not the files drawn from them (logos, tables): for new entries. */
  entriesOnly?: boolean;
  /** Providers served beside this directory whose logo it may override (`logos/<key>.svg|png`). */
  overrideKeys?: string[];
};

export type LintResult = {
  entries: CatalogEntry[];
  problems: string[];
  /** Entries per category, every wire category listed (0 where none). */
  categories: Record<string, number>;
};

/** Strings a host field must refuse, or the host could leave the provider's domain. */
const HOST_PROBES = ["evil.test", "a/b", "a@b", "a:1", "a?b", "a#b", "a b", "a\\b", ""];

/** Follows "auth.oauth2.pkce" through the entry; a segment may name an array item by its key. */
function resolves(entry: unknown, dotted: string): boolean {
  let at: unknown = entry;
  for (const seg of dotted.split(".")) {
    if (Array.isArray(at)) {
      at = /^\d+$/.test(seg) ? at[Number(seg)] : at.find((x) => (x as { key?: string })?.key === seg);
    } else if (at && typeof at === "object") {
      at = (at as Record<string, unknown>)[seg];
    } else return false;
    if (at === undefined) return false;
  }
  return true;
}

function lintEntry(
  entry: CatalogEntry,
  rel: string,
  dir: string,
  icons: IconSet | null,
  entriesOnly: boolean,
): string[] {
  const out: string[] = [];
  const at = (where: string, message: string) => out.push(`${rel}: ${where}: ${message}`);

  if (!entry.brand) at("brand", 'is required ({ simple_icons: slug | null, color: "#RRGGBB" })');
  if (!entry.verify) at("verify", "is required: a cheap read any valid credential may make");
  else {
    const reject = statusList(entry.verify.reject_status);
    if (reject.length === 0) at("verify.reject_status", "is required: what a wrong credential gets");
    for (const s of reject) {
      if (s === 404 || (s >= 300 && s < 400))
        at("verify.reject_status", `${s} is what a moved endpoint answers, not a refusal`);
    }
  }
  for (const [i, u] of [entry.docs, ...entry.sources].entries()) {
    if (!u.startsWith("https://")) at(i === 0 ? "docs" : `sources.${i - 1}`, "must be an https URL");
  }
  for (const line of entry.unverified ?? []) {
    const where = line.slice(0, line.indexOf(":"));
    if (!resolves(entry, where)) at("unverified", `"${where}" names nothing in this entry`);
  }

  // Host templating: the static domain must be fixed, and each host field must refuse anything
  // but a DNS label, so the hub rejects a bad value before the request builder has to.
  const urls: [string, string | undefined][] = [
    ["api.base_url", entry.api.base_url],
    ["auth.oauth2.authorize_url", entry.auth.oauth2?.authorize_url],
    ["auth.oauth2.token_url", entry.auth.oauth2?.token_url],
    ["auth.oauth2.refresh_url", entry.auth.oauth2?.refresh_url],
    // A scope or parameter shaped like a URL (an audience, a resource) is held to the same rules.
    ...(entry.auth.oauth2 ? oauthParams(entry.auth.oauth2) : []).map(([where, v]): [string, string] => [
      where.join("."),
      v,
    ]),
  ];
  // A URL is not a place for a secret, in any part of it: the request log keeps the provider URL
  // and serves it to every key of the project, error bodies repeat it, and an authorize URL goes
  // through the end user's browser. Secrets go in api.inject (headers, basic, bearer or query).
  for (const [where, url] of urls.slice(0, 4)) {
    if (url === undefined) continue;
    for (const name of new Set(templateNames(url))) {
      const field = entry.auth.fields.find((f) => f.key === name);
      if (name === "access_token" || (field && isSecretField(field)))
        at(
          where,
          `{{${name}}} is a secret; a URL is logged and shown to API callers, so put it in api.inject (headers, basic, bearer or query)`,
        );
    }
  }
  for (const [where, url] of urls) {
    if (url === undefined) continue;
    const host = hostPart(url);
    for (const name of templateNames(host)) {
      const field = entry.auth.fields.find((f) => f.key === name);
      // A select is held to its options by the form check; each option must be a DNS label.
      if (field?.type === "select") {
        for (const o of field.options ?? [])
          if (!DNS_LABEL.test(o.value))
            at(`auth.fields.${name}.options`, `"${o.value}" is not a DNS label, and it lands in the host`);
        continue;
      }
      const pattern = field?.validation?.pattern;
      if (!field || !pattern) {
        at(where, `{{${name}}} is in the host, so its field needs a validation pattern`);
        continue;
      }
      const re = new RegExp(pattern);
      const accepted = HOST_PROBES.filter((p) => re.test(p));
      if (accepted.length)
        at(
          `auth.fields.${name}.validation.pattern`,
          `accepts ${accepted.map((p) => JSON.stringify(p)).join(", ")}; a host field takes one DNS label`,
        );
      if (field.placeholder && !re.test(field.placeholder))
        at(`auth.fields.${name}.placeholder`, "does not match the field's own pattern");
    }
  }

  // The brand: a slug the pinned set has, with the set's own colour.
  const slug = entry.brand?.simple_icons;
  const icon = slug ? icons?.bySlug.get(slug) : undefined;
  if (slug && icons && !icon) at("brand.simple_icons", `simple-icons ${icons.version} has no "${slug}"`);
  const logosName = entry.brand?.logos;
  if (logosName && icons?.logos && !icons.logos.icons.has(logosName))
    at("brand.logos", `SVG Logos ${icons.logos.version} has no "${logosName}"`);
  if (icon && entry.brand!.color.toUpperCase() !== `#${icon.hex.toUpperCase()}`)
    at("brand.color", `simple-icons' colour for ${slug} is #${icon.hex}`);
  if (entry.logo !== `${entry.key}.svg`) at("logo", `must be ${entry.key}.svg`);
  const file = path.join(dir, "logos", entry.logo);
  if (entriesOnly || !fs.existsSync(file)) return out;

  // The logo: small, self-contained, and exactly what the brand draws.
  const svg = fs.readFileSync(file, "utf8");
  if (Buffer.byteLength(svg) > LOGO_MAX_BYTES)
    at("logo", `${Buffer.byteLength(svg)} bytes, more than ${LOGO_MAX_BYTES}`);
  if (NOT_SELF_CONTAINED.test(svg))
    at("logo", "must be self-contained: no scripts, event handlers or outside references");
  if (!entry.brand) return out;
  if (icons) {
    const drawable = icon || (slug === null && (!logosName || icons.logos?.icons.has(logosName)));
    if (drawable && svg !== renderLogo(entry.name, entry.brand, icons))
      at("logo", `${entry.logo} is not what brand draws: run \`portico catalog logos\``);
  } else if (!logosName && !svg.includes(`fill="${entry.brand.color}"`)) {
    at("logo", `${entry.logo} does not use brand.color ${entry.brand.color}`);
  }
  return out;
}

export function lintCatalog(opts: LintOptions): LintResult {
  const dir = opts.dir ?? CATALOG_DIR;
  const entriesOnly = opts.entriesOnly === true;
  const { files, problems } = readCatalogDir(dir, {
    allowLoopbackHttp: opts.allowLoopbackHttp,
    checkLogos: !entriesOnly,
  });
  const entries = files.map((f) => f.entry);
  for (const { file, entry } of files)
    problems.push(...lintEntry(entry, catalogPath(dir, file), dir, opts.icons, entriesOnly));

  const owner = new Map<string, string>((opts.reservedKeys ?? []).map((k) => [k, "a built-in provider"]));
  for (const e of entries) {
    for (const k of [e.key, ...e.aliases]) {
      const prev = owner.get(k);
      if (prev) problems.push(`${catalogPath(dir, `${e.key}.yaml`)}: "${k}" is already used by ${prev}`);
      else owner.set(k, `${e.key}.yaml`);
    }
  }

  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, 0])) as Record<string, number>;
  for (const e of entries) for (const c of e.categories) categories[c] = (categories[c] ?? 0) + 1;
  if (entriesOnly) return { entries, problems, categories };

  const logoDir = path.join(dir, "logos");
  const used = new Set(entries.map((e) => e.logo));
  if (fs.existsSync(logoDir)) {
    for (const f of fs.readdirSync(logoDir).sort()) {
      const override = /^([a-z0-9-]+)\.(svg|png)$/.exec(f)?.[1];
      if (override && opts.overrideKeys?.includes(override) && !entries.some((e) => e.key === override)) {
        const problem = checkOverrideLogo(path.join(logoDir, f));
        if (problem) problems.push(`${catalogPath(dir, `logos/${f}`)}: ${problem}`);
        continue;
      }
      if (f !== "README.md" && !used.has(f))
        problems.push(`${catalogPath(dir, `logos/${f}`)}: no entry uses this logo`);
    }
  }
  // Only a catalog that loaded whole can be compared with its generated documents.
  if (problems.length === 0 && opts.icons && fs.existsSync(path.join(logoDir, "README.md"))) {
    const readme = fs.readFileSync(path.join(logoDir, "README.md"), "utf8");
    if (readme !== logosReadme(entries, opts.icons))
      problems.push(`${catalogPath(dir, "logos/README.md")}: out of date: run \`portico catalog logos\``);
  }
  if (problems.length === 0 && opts.docsDir) {
    for (const doc of GENERATED_DOCS) {
      const file = path.join(opts.docsDir, doc.file);
      const shown = `docs/${doc.file}`;
      const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
      const next = withGenerated(text, doc, entries);
      if (next === null) problems.push(`${shown}: the markers of ${doc.what} are missing`);
      else if (next !== text)
        problems.push(`${shown}: ${doc.what} is out of date: run \`portico catalog lint --docs\``);
    }
  }
  return { entries, problems, categories };
}
