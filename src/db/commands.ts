import type { Command } from "commander";
import { print } from "../cli/output.js";
import { loadConfig } from "../config.js";
import { migrateUrl } from "./migrations.js";

export function registerDbCommands(program: Command): void {
  program
    .command("migrate")
    .description("Apply pending database migrations (serve also does this at start)")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const { applied, database } = await migrateUrl(loadConfig().databaseUrl);
      print(opts.json, { database, applied }, () =>
        applied.length ? `Applied ${applied.join(", ")} to ${database}` : `${database} is up to date`,
      );
    });
}
