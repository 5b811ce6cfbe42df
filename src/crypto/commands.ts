import fs from "node:fs";
import type { Command } from "commander";
import { print, table } from "../cli/output.js";
import { withContext } from "../cli/with-context.js";
import { loadConfig } from "../config.js";
import { formatKeyring, keyringFile, newKey, newKeyId, parseKeyring } from "./keyring.js";
import { keyUsage, rotateKeys } from "./rotation.js";

/**
 * Key rotation, in three steps: `keys generate` makes a new key and puts it first in the keyring
 * (new ciphertexts use it, old ones stay readable); `keys rotate` re-encrypts everything still
 * under an older key; `keys status` shows when an old key is no longer used and can be dropped.
 */
export function registerKeyCommands(program: Command): void {
  const keys = program.command("keys").description("Encryption keys: generate, rotate, status");

  keys
    .command("generate")
    .description("Make a new encryption key; with --write, put it first in the data directory's keyring file")
    .option("--write", "prepend it to <PORTICO_DATA_DIR>/keyring (when PORTICO_ENCRYPTION_KEYS is not set)")
    .option("--json", "print JSON")
    .action((opts: { write?: boolean; json?: boolean }) => {
      const config = loadConfig();
      const entry = `${newKeyId()}:${newKey().toString("base64")}`;
      if (!opts.write) {
        print(opts.json, { key: entry }, () =>
          [
            `New key: ${entry}`,
            "Put it first in PORTICO_ENCRYPTION_KEYS on every node, keeping the old keys after it,",
            "restart them, then run `portico keys rotate`.",
          ].join("\n"),
        );
        return;
      }
      if (config.encryptionKeys)
        throw new Error(
          "PORTICO_ENCRYPTION_KEYS is set, so the keyring file is not used: put the new key first in that variable instead (run without --write)",
        );
      const file = keyringFile(config.dataDir);
      if (!fs.existsSync(file)) throw new Error(`no keyring file at ${file}: start Portico once first`);
      const ring = parseKeyring(fs.readFileSync(file, "utf8"));
      const next = parseKeyring(`${entry},${formatKeyring(ring)}`);
      fs.writeFileSync(file, `${formatKeyring(next)}\n`, { mode: 0o600 });
      print(opts.json, { key_id: next.primary, file }, () =>
        [
          `Added key ${next.primary} first in ${file}; the older keys stay readable.`,
          "Restart Portico, then run `portico keys rotate`.",
        ].join("\n"),
      );
    });

  keys
    .command("status")
    .description("Which keys the stored ciphertexts use, per column")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const usage = await keyUsage(ctx.database.db);
        const rows = Object.entries(usage).flatMap(([column, byKey]) =>
          Object.entries(byKey).map(([key_id, count]) => ({ column, key_id, count })),
        );
        print(opts.json, { primary: ctx.vault.primaryKeyId, usage: rows }, () =>
          [`Primary key: ${ctx.vault.primaryKeyId}`, table(rows, ["column", "key_id", "count"])].join("\n"),
        );
      }),
    );

  keys
    .command("rotate")
    .description("Re-encrypt every stored secret under the primary key (safe while Portico serves)")
    .option("--json", "print JSON")
    .action((opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const reports = await rotateKeys(ctx.database.db, ctx.vault);
        const unreadable = reports.reduce((n, r) => n + r.unreadable, 0);
        print(opts.json, { primary: ctx.vault.primaryKeyId, columns: reports }, () =>
          [
            `Re-encrypted under ${ctx.vault.primaryKeyId}:`,
            table(
              reports.map((r) => ({ ...r, by_key: Object.keys(r.by_key).join(" ") || "-" })),
              ["column", "by_key", "rotated", "changed_meanwhile", "unreadable"],
            ),
          ].join("\n"),
        );
        if (unreadable > 0) {
          process.exitCode = 1;
          process.stderr.write(
            `${unreadable} ciphertexts could not be read with this keyring (a key missing from PORTICO_ENCRYPTION_KEYS?); they were left as they are\n`,
          );
        }
      }),
    );
}
