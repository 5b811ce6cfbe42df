import cluster from "node:cluster";
import fs from "node:fs";
import { Command, CommanderError } from "commander";
import { registerAccountCommands } from "./accounts/commands.js";
import { registerCatalogCommands } from "./catalog/commands.js";
import { pc } from "./cli/colors.js";
import { registerConfigCommand } from "./cli/config-command.js";
import { servePrimary } from "./cluster/primary.js";
import { ConfigError, loadConfig, parseProcesses } from "./config.js";
import { registerConsoleCommands } from "./console/commands.js";
import { StartupError } from "./context.js";
import { registerKeyCommands } from "./crypto/commands.js";
import { KeyringError } from "./crypto/keyring.js";
import { registerDbCommands } from "./db/commands.js";
import { PorticoError } from "./errors.js";
import { registerHistoryCommands } from "./history/commands.js";
import { registerIntegrationCommands } from "./integrations/commands.js";
import { openApiDocument } from "./openapi-document.js";
import { sandboxEntries } from "./sandbox/entries.js";
import { serve } from "./server.js";
import { registerSessionCommands } from "./sessions/commands.js";
import { registerTenancyCommands } from "./tenancy/commands.js";
import { VERSION } from "./version.js";
import { registerWebhookCommands } from "./webhooks/commands.js";

const program = new Command("portico")
  .description("Portico: a self-hostable connect layer, wire-compatible with StackOne")
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride();

program
  .command("serve")
  .description("Start the HTTP server (migrates the database first; initializes an empty one)")
  .option(
    "--processes <n>",
    "processes sharing the port: a number, or auto for one per core (default: PORTICO_PROCESSES, 1)",
  )
  .action(async (opts: { processes?: string }) => {
    const config = loadConfig();
    if (opts.processes !== undefined) config.processes = parseProcesses(opts.processes);
    // A worker forked by the primary runs this same command and serves as a lone process would.
    return config.processes > 1 && cluster.isPrimary ? servePrimary(config) : serve(config);
  });

program
  .command("openapi")
  .description("Print the OpenAPI document that /openapi.json serves (no server or database needed)")
  .option("--out <file>", "write it to this file instead of stdout")
  .action(async (opts: { out?: string }) => {
    const json = `${JSON.stringify(await openApiDocument(loadConfig()), null, 2)}\n`;
    if (opts.out) fs.writeFileSync(opts.out, json);
    else process.stdout.write(json);
  });

registerDbCommands(program);
registerTenancyCommands(program);
registerSessionCommands(program);
registerAccountCommands(program);
registerIntegrationCommands(program);
registerWebhookCommands(program);
registerKeyCommands(program);
registerHistoryCommands(program);
registerConsoleCommands(program);
registerCatalogCommands(program, {
  reservedKeys: () => sandboxEntries("http://127.0.0.1").flatMap((e) => [e.key, ...e.aliases]),
});
registerConfigCommand(program);

/** Expected failures print one clear line; anything else is a bug and keeps its stack. */
function explain(err: unknown): string {
  if (err instanceof ConfigError || err instanceof StartupError || err instanceof KeyringError)
    return err.message;
  if (err instanceof PorticoError) return err.message;
  if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof ReferenceError))
    return err.message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  process.stderr.write(`${pc.red("error:")} ${explain(err)}\n`);
  process.exit(1);
}
