import fs from "node:fs";
import type { Command } from "commander";
import { print } from "../cli/output.js";
import { loadConfig } from "../config.js";
import { keyringFile, parseKeyring } from "../crypto/keyring.js";
import { backupSqlite } from "./backup.js";
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

  program
    .command("backup <file>")
    .description("Copy the SQLite database to <file>, consistently, while Portico runs (PostgreSQL: pg_dump)")
    .option("--force", "replace <file> if it exists")
    .option("--json", "print JSON")
    .action(async (destination: string, opts: { force?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const backup = await backupSqlite(config.databaseUrl, destination, { overwrite: opts.force });
      // The copy holds credentials encrypted under the keyring, which is not in the database: a
      // backup restored without it is a database of unreadable secrets.
      const file = keyringFile(config.dataDir);
      const keyring = config.encryptionKeys
        ? { kind: "environment", variable: "PORTICO_ENCRYPTION_KEYS", key_ids: keyIds(config.encryptionKeys) }
        : fs.existsSync(file)
          ? { kind: "file", file, key_ids: keyIds(fs.readFileSync(file, "utf8")) }
          : { kind: "missing", file, key_ids: [] };
      print(opts.json, { ...backup, keyring }, () =>
        [
          `Backed up ${backup.database} to ${backup.file} (${backup.pages} pages, ${backup.bytes} bytes, checked).`,
          keyring.kind === "environment"
            ? `Keep the keyring too: PORTICO_ENCRYPTION_KEYS (keys ${keyring.key_ids.join(", ")}).`
            : keyring.kind === "file"
              ? `Keep the keyring too: ${file} (keys ${keyring.key_ids.join(", ")}).`
              : `No keyring at ${file} and PORTICO_ENCRYPTION_KEYS is not set: keep the keyring this database was written with.`,
          "The credentials, tokens and secrets in the backup are encrypted with it: without it they cannot be read.",
          "Store it apart from the backup.",
          "The request log (its own file beside the database) is history, not state: it is not copied (docs/operations.md).",
        ].join("\n"),
      );
    });
}

const keyIds = (spec: string): string[] => [...parseKeyring(spec).keys.keys()];
