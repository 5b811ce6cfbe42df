import fs from "node:fs";
import path from "node:path";
import { type Command, Option } from "commander";
import { pc } from "../cli/colors.js";
import { print } from "../cli/output.js";
import { loadConfig } from "../config.js";
import { Outbound } from "../http/outbound.js";
import { fromRoot } from "../paths.js";
import { buildCatalog } from "./build.js";
import { GENERATED_DOCS, logosReadme, withGenerated } from "./docs.js";
import { lintCatalog } from "./lint.js";
import { CATALOG_DIR, catalogPath, loadCatalogFiles } from "./loader.js";
import { loadIconSet, renderLogo } from "./logo.js";
import { type ProviderReport, verifyCatalog } from "./verify.js";

const DOCS = fromRoot("docs");

const collect = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(",")
    .map((v) => v.trim())
    .filter(Boolean),
];

const MARK = { ok: pc.green("✓"), drift: pc.red("✗"), unsure: pc.yellow("?") } as const;

function describe(reports: ProviderReport[]): string {
  const lines: string[] = [];
  for (const r of reports) {
    const unsure = r.checks.some((c) => c.result === "unsure");
    lines.push(`${r.drifted ? MARK.drift : unsure ? MARK.unsure : MARK.ok} ${r.provider} (${r.name})`);
    for (const c of r.checks)
      if (c.result !== "ok")
        lines.push(`    ${MARK[c.result]} ${c.check}: ${c.method} ${c.url}: ${c.message}`);
  }
  const drifted = reports.filter((r) => r.drifted).length;
  const unsure = reports.filter((r) => !r.drifted && r.checks.some((c) => c.result === "unsure")).length;
  lines.push(
    `${reports.length} providers checked: ${reports.length - drifted - unsure} as the catalog says, ` +
      `${drifted ? pc.red(`${drifted} drifted`) : "0 drifted"}, ${unsure} unsure`,
  );
  if (reports.length && reports.every((r) => r.checks.every((c) => c.status === null)))
    lines.push(pc.yellow("No provider answered at all: does this machine reach the internet?"));
  return lines.join("\n");
}

async function requireIconSet() {
  const icons = await loadIconSet();
  if (!icons)
    throw new Error(
      "simple-icons is not installed: it is a dev dependency (run `npm ci` without --omit=dev)",
    );
  return icons;
}

/**
 * `reservedKeys`: the keys of the entries served beside the catalog (the sandbox's), which no
 * catalog entry may take; given by the caller, so the catalog stands without knowing its users.
 */
export function registerCatalogCommands(program: Command, opts: { reservedKeys: () => string[] }): void {
  const reservedKeys = opts.reservedKeys;
  const catalog = program.command("catalog").description("The provider catalog (catalog/*.yaml)");

  catalog
    .command("lint")
    .description("Check every entry, logo and generated table; exits 1 when something is wrong")
    .option("--dir <dir>", "lint another catalog directory (e.g. one in PORTICO_CATALOG_DIRS)")
    .option("--docs", "rewrite the docs pages' generated blocks first (provider table, OAuth apps)")
    .addOption(new Option("--readme", "the former name of --docs").hideHelp())
    .option("--entries-only", "check the entries, not the files drawn from them (logos, tables)")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const dir = opts.dir ? path.resolve(opts.dir) : CATALOG_DIR;
      const shipped = dir === CATALOG_DIR;
      if (opts.docs || opts.readme) {
        if (!shipped) throw new Error("--docs writes the docs pages of the shipped catalog only");
        const entries = loadCatalogFiles();
        for (const doc of GENERATED_DOCS) {
          const file = path.join(DOCS, doc.file);
          const next = withGenerated(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "", doc, entries);
          if (next === null) throw new Error(`docs/${doc.file} has no markers for ${doc.what}`);
          fs.writeFileSync(file, next);
        }
      }
      const icons = await loadIconSet();
      const result = lintCatalog({
        dir,
        icons,
        docsDir: shipped ? DOCS : null,
        reservedKeys: reservedKeys(),
        entriesOnly: opts.entriesOnly === true,
        overrideKeys: shipped ? [] : [...loadCatalogFiles().map((e) => e.key), ...reservedKeys()],
      });
      const ok = result.problems.length === 0;
      print(
        opts.json,
        {
          ok,
          providers: result.entries.length,
          problems: result.problems,
          categories: result.categories,
          logos_redrawn: icons !== null,
        },
        () => {
          const empty = Object.entries(result.categories)
            .filter(([, n]) => n === 0)
            .map(([c]) => c);
          return [
            ...result.problems.map((p) => `${pc.red("✗")} ${p}`),
            `${result.entries.length} providers; ${
              ok ? pc.green("no problems") : pc.red(`${result.problems.length} problems`)
            }${icons ? "" : pc.yellow(" (logos not redrawn: simple-icons is not installed)")}`,
            ...(empty.length ? [pc.dim(`categories with no provider: ${empty.join(", ")}`)] : []),
          ].join("\n");
        },
      );
      if (!ok) process.exitCode = 1;
    });

  catalog
    .command("logos")
    .description("Regenerate catalog/logos/<key>.svg and its README from each entry's brand")
    .option("--dir <dir>", "draw the logos of another catalog directory (its logos/, no README)")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const icons = await requireIconSet();
      const root = opts.dir ? path.resolve(opts.dir) : CATALOG_DIR;
      const entries = loadCatalogFiles(root, { checkLogos: false });
      const dir = path.join(root, "logos");
      fs.mkdirSync(dir, { recursive: true });
      const written: string[] = [];
      for (const e of entries) {
        if (!e.brand)
          throw new Error(`${catalogPath(root, `${e.key}.yaml`)}: brand: is required to draw its logo`);
        const svg = renderLogo(e.name, e.brand, icons);
        const file = path.join(dir, e.logo);
        if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== svg) {
          fs.writeFileSync(file, svg);
          written.push(e.logo);
        }
      }
      if (root === CATALOG_DIR) fs.writeFileSync(path.join(dir, "README.md"), logosReadme(entries, icons));
      print(
        opts.json,
        {
          simple_icons: icons.version,
          svg_logos: icons.logos?.version ?? null,
          logos: entries.length,
          written,
        },
        () =>
          `${entries.length} logos from simple-icons ${icons.version} and SVG Logos ${icons.logos?.version ?? "(not installed)"}; ${written.length} written${
            written.length ? `: ${written.join(", ")}` : ""
          }`,
      );
    });

  catalog
    .command("verify")
    .description(
      "Check with each provider that its entry still holds (needs internet access); exits 1 on drift",
    )
    .option("--provider <key>", "only these providers (repeat, or comma-separate)", collect)
    .option("--value <key=value>", "a setup value to use, e.g. subdomain=acme (repeatable)", collect)
    .option("--json", "print JSON")
    .action(async (opts) => {
      const config = loadConfig();
      const { catalog: served } = buildCatalog({
        publicUrl: config.publicUrl,
        extraDirs: config.catalogDirs,
        allowLoopbackHttp: config.allowPrivateNetworks,
      });
      const keys: string[] = opts.provider ?? [];
      const unknown = keys.filter((k) => !served.has(k));
      if (unknown.length) throw new Error(`provider: ${unknown.join(", ")} not in the catalog`);
      const entries = keys.length ? [...new Set(keys.map((k) => served.get(k)!))] : served.list();
      const overrides: Record<string, string> = {};
      for (const pair of (opts.value as string[] | undefined) ?? []) {
        const eq = pair.indexOf("=");
        if (eq < 1) throw new Error(`--value: "${pair}" is not key=value`);
        overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      const outbound = new Outbound({ allowPrivateNetworks: config.allowPrivateNetworks, timeoutMs: 15_000 });
      try {
        const reports = await verifyCatalog(outbound, entries, overrides);
        const drifted = reports.filter((r) => r.drifted).map((r) => r.provider);
        print(opts.json, { ok: drifted.length === 0, drifted, providers: reports }, () => describe(reports));
        if (drifted.length) process.exitCode = 1;
      } finally {
        await outbound.close();
      }
    });
}
