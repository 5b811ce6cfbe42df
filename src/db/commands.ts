import type { Command } from "commander";
import { print } from "../cli/output.js";
import { loadConfig } from "../config.js";
import { openDatabase } from "./database.js";
import { migrate } from "./migrations.js";

export function registerDbCommands(program: Command): void {
  program
    .command("migrate")
    .description("Apply pending database migrations (serve also does this at start)")
    .option("--json", "print JSON")
    .action(async (opts) => {
      const config = loadConfig();
      const database = openDatabase(config.databaseUrl, { poolSize: config.databasePoolSize });
      try {
        const applied = await migrate(database.db, database.dialect);
        print(opts.json, { database: database.describe, applied }, () =>
          applied.length
            ? `Applied ${applied.join(", ")} to ${database.describe}`
            : `${database.describe} is up to date`,
        );
      } finally {
        await database.close();
      }
    });
}
