import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import pc from "picocolors";
import { print } from "../cli/output.js";
import { fromRoot } from "../paths.js";
import { sandboxEntries } from "../sandbox/entries.js";
import { logosReadme, withCatalogTable } from "./docs.js";
import { lintCatalog } from "./lint.js";
import { CATALOG_DIR, loadCatalogFiles } from "./loader.js";
import { loadIconSet, renderLogo } from "./logo.js";

const README = fromRoot("README.md");

const reservedKeys = () => sandboxEntries("http://127.0.0.1").flatMap((e) => [e.key, ...e.aliases]);

async function requireIconSet() {
  const icons = await loadIconSet();
  if (!icons)
    throw new Error(
      "simple-icons is not installed: it is a dev dependency (run `npm ci` without --omit=dev)",
    );
  return icons;
}

export function registerCatalogCommands(program: Command): void {
  const catalog = program.command("catalog").description("The provider catalog (catalog/*.yaml)");

  catalog
    .command("lint")
    .description("Check every entry, logo and generated table; exits 1 when something is wrong")
    .option("--dir <dir>", "lint another catalog directory (e.g. one in PORTICO_CATALOG_DIRS)")
    .option("--readme", "rewrite the README's catalog table first")
    .option("--entries-only", "check the entries, not the files drawn from them (logos, tables)")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const dir = opts.dir ? path.resolve(opts.dir) : CATALOG_DIR;
      const shipped = dir === CATALOG_DIR;
      if (opts.readme) {
        if (!shipped) throw new Error("--readme writes the README's table of the shipped catalog only");
        const next = withCatalogTable(fs.readFileSync(README, "utf8"), loadCatalogFiles());
        if (next === null) throw new Error("README.md has no catalog table markers");
        fs.writeFileSync(README, next);
      }
      const icons = await loadIconSet();
      const result = lintCatalog({
        dir,
        icons,
        readmePath: shipped ? README : null,
        reservedKeys: reservedKeys(),
        entriesOnly: opts.entriesOnly === true,
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
    .option("--json", "print JSON")
    .action(async (opts) => {
      const icons = await requireIconSet();
      const entries = loadCatalogFiles(CATALOG_DIR, { checkLogos: false });
      const dir = path.join(CATALOG_DIR, "logos");
      const written: string[] = [];
      for (const e of entries) {
        if (!e.brand) throw new Error(`catalog/${e.key}.yaml: brand: is required to draw its logo`);
        const svg = renderLogo(e.name, e.brand, icons);
        const file = path.join(dir, e.logo);
        if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== svg) {
          fs.writeFileSync(file, svg);
          written.push(e.logo);
        }
      }
      fs.writeFileSync(path.join(dir, "README.md"), logosReadme(entries, icons));
      print(
        opts.json,
        { simple_icons: icons.version, logos: entries.length, written },
        () =>
          `${entries.length} logos from simple-icons ${icons.version}; ${written.length} written${
            written.length ? `: ${written.join(", ")}` : ""
          }`,
      );
    });
}
