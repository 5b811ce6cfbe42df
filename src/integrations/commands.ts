import type { Command } from "commander";
import { pc } from "../cli/colors.js";
import { print, table } from "../cli/output.js";
import { inProject } from "../cli/project-principal.js";
import { cliActor } from "../history/actor.js";

export function registerIntegrationCommands(program: Command): void {
  const integrations = program
    .command("integrations")
    .description("Providers offered to a project's end users");
  integrations
    .command("list")
    .description("Every catalog provider with whether it is enabled for the project")
    .option("--project <id>", "project id (default: the only project)")
    .option("--active", "only the enabled ones")
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts) => {
        const list = (await ctx.integrations.list(projectId)).filter((i) => !opts.active || i.active);
        print(opts.json, list, () =>
          table(
            list.map((i) => ({
              ...i,
              categories: i.categories.join(","),
              active: i.active ? pc.green("yes") : "no",
            })),
            ["provider", "name", "categories", "scheme", "active", "oauth_client_id"],
          ),
        );
      }),
    );
  integrations
    .command("enable")
    .description("Offer a provider to the project's end users (with its OAuth app for OAuth2 providers)")
    .requiredOption("--provider <key>", "catalog key, e.g. bamboohr")
    .option("--project <id>", "project id (default: the only project)")
    .option("--client-id <id>", "OAuth2 client id registered with the provider")
    .option("--client-secret <secret>", "OAuth2 client secret (stored encrypted)")
    .option("--scopes <list>", "OAuth2 scopes overriding the catalog's defaults (comma or space separated)")
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts) => {
        const scopes = opts.scopes
          ? String(opts.scopes)
              .split(/[\s,]+/)
              .filter(Boolean)
          : undefined;
        const view = await ctx.integrations.enable(
          projectId,
          opts.provider,
          {
            clientId: opts.clientId,
            clientSecret: opts.clientSecret,
            scopes,
          },
          cliActor(),
        );
        print(opts.json, view, () => `Enabled ${view.name} (${view.provider}) on ${projectId}`);
      }),
    );
  integrations
    .command("disable")
    .description("Stop offering a provider (existing accounts keep working)")
    .requiredOption("--provider <key>", "catalog key")
    .option("--project <id>", "project id (default: the only project)")
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts) => {
        const view = await ctx.integrations.disable(projectId, opts.provider, cliActor());
        print(opts.json, view, () => `Disabled ${view.name} (${view.provider}) on ${projectId}`);
      }),
    );
}
