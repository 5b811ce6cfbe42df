import type { Command } from "commander";
import pc from "picocolors";
import { print } from "../cli/output.js";
import { withContext } from "../cli/with-context.js";
import { cliActor, safeUserName } from "../history/actor.js";

export function registerConsoleCommands(program: Command): void {
  const console = program.command("console").description("The operator console in the browser (/console)");
  console
    .command("link")
    .description("Print a one-time sign-in link for the console (valid PORTICO_CONSOLE_LINK_MINUTES)")
    .option("--name <operator>", "who signs in with it, for the audit log (default: your user name)")
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        if (!ctx.config.console)
          throw new Error("the console is turned off (PORTICO_CONSOLE=false): turn it on to sign in");
        const link = await ctx.consoleAuth.createLink(opts.name || safeUserName(), cliActor());
        print(opts.json, link, () =>
          [
            `Open this link in your browser to sign in to the Portico console (once, until ${link.expires_at}):`,
            "",
            `  ${pc.bold(link.url)}`,
            "",
          ].join("\n"),
        );
      }),
    );
}
