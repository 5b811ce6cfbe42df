import path from "node:path";
import type { Command } from "commander";
import { effectiveSettings, readSettings, type SettingSource } from "../config.js";
import { pc } from "./colors.js";
import { print, table } from "./output.js";

const sourceText = (s: SettingSource): string =>
  s.kind === "file" ? `${path.relative(process.cwd(), s.file) || s.file}:${s.line}` : s.kind;

/**
 * `portico config`: the configuration a `portico serve` started here would run with, every
 * setting with its value and where it came from (the environment, a line of the env file, or the
 * default), secrets masked. It checks the settings as a start would, and fails the same way.
 */
export function registerConfigCommand(program: Command): void {
  program
    .command("config")
    .description("Print the effective configuration: each setting's value and where it came from")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) => {
      const settings = readSettings();
      const rows = effectiveSettings(settings);
      print(
        opts.json,
        {
          env_file: settings.file,
          settings: Object.fromEntries(
            rows.map((r) => [
              r.name,
              {
                value: r.value,
                source: r.source.kind,
                ...(r.source.kind === "file" && { file: r.source.file, line: r.source.line }),
                ...(r.secret && { masked: true }),
              },
            ]),
          ),
        },
        () =>
          [
            settings.file
              ? `env file: ${settings.file}`
              : pc.dim(
                  `env file: none (${process.env.PORTICO_ENV_FILE === "" ? "PORTICO_ENV_FILE is empty" : "no .env here, PORTICO_ENV_FILE unset"})`,
                ),
            "",
            table(
              rows.map((r) => ({
                variable: r.name,
                value: r.value,
                source: r.source.kind === "default" ? pc.dim("default") : sourceText(r.source),
              })),
              ["variable", "value", "source"],
            ),
          ].join("\n"),
      );
    });
}
