import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { initialize } from "../bootstrap.js";
import { pc } from "../cli/colors.js";
import { print, table } from "../cli/output.js";
import { projectPrincipal } from "../cli/project-principal.js";
import { withContext } from "../cli/with-context.js";
import { cliActor } from "../history/actor.js";
import { WIRE_PROFILE_FORMS } from "../http/wire-profile.js";
import { parseExpiresIn, parseScopes, SCOPES } from "./scopes.js";

const intArg = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
};

/** A per-minute limit: a whole number (0 is no limit), or `default` to follow the server's setting. */
const rateLimitArg = (v: string): number | "default" => {
  if (v === "default") return v;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 10_000_000)
    throw new Error("--rate-limit-per-minute must be a whole number from 0 to 10000000, or default");
  return n;
};

export function registerTenancyCommands(program: Command): void {
  program
    .command("init")
    .description("On an empty database: create an organization, a project and an API key (shown once)")
    .option("--organization-name <name>", "name of the organization", "Default organization")
    .option("--project-name <name>", "name of the project", "Default project")
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        const result = await initialize(ctx, {
          organizationName: opts.organizationName,
          projectName: opts.projectName,
        });
        if (!result) {
          throw new Error(
            "this database is already initialized. Use `portico projects create` and `portico api-keys create --project <id>` instead.",
          );
        }
        print(opts.json, result, () =>
          [
            `${pc.green("Initialized.")} organization ${result.organization_id}, project ${result.project_id}`,
            `API key (shown once, store it now): ${result.api_key}`,
          ].join("\n"),
        );
      }),
    );

  const projects = program.command("projects").description("Manage projects");
  projects
    .command("create")
    .description("Create a project")
    .option("--name <name>", "project name", "Project")
    .option(
      "--organization <id>",
      "organization id (default: the first organization)",
      intArg("--organization"),
    )
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        const project = await ctx.tenancy.createProject({
          name: opts.name,
          organizationId: opts.organization,
          actor: cliActor(),
        });
        print(opts.json, project, () => `Created project ${pc.bold(project.project_id)} (${project.name})`);
      }),
    );
  projects
    .command("list")
    .description("List projects")
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        const list = await ctx.tenancy.listProjects();
        print(opts.json, list, () =>
          table(list, [
            "project_id",
            "organization_id",
            "name",
            "wire_profile",
            "rate_limit_per_minute",
            "created_at",
          ]),
        );
      }),
    );
  projects
    .command("update")
    .description("Change a project's settings")
    .argument("[id]", "project id (proj_...); or --project, or none when there is one project")
    .option("--project <id>", "project id")
    .option(
      "--wire-profile <profile>",
      `the StackOne contract every caller of the project gets: ${WIRE_PROFILE_FORMS} (auto: from each client's user agent)`,
    )
    .option(
      "--rate-limit-per-minute <n|default>",
      "API calls per minute per key for this project (0: no limit; default: PORTICO_RATE_LIMIT_PER_MINUTE)",
      rateLimitArg,
    )
    .option("--display-name <name>", "the name the hosted page shows (empty: none)")
    .option("--logo <file>", "an SVG or PNG logo for the hosted page, at most 64 KiB (none: remove it)")
    .option("--accent-color <#RRGGBB>", "the hosted page's and the hub's accent colour (empty: the default)")
    .option(
      "--support-url <url>",
      "a support link on the hosted page: https://... or mailto:... (empty: none)",
    )
    .option(
      "--allowed-origins <origins>",
      "comma-separated origins the redirect URLs may point at (empty: none)",
    )
    .option("--success-url <url>", "where the hosted page sends the end user after linking (empty: nowhere)")
    .option(
      "--error-url <url>",
      "where it sends them after a cancel or an error, with ?reason= (empty: nowhere)",
    )
    .option("--json", "print JSON")
    .action(async (id, opts) =>
      withContext(async (ctx) => {
        const settings = {
          display_name: opts.displayName,
          accent_color: opts.accentColor,
          support_url: opts.supportUrl,
          allowed_origins:
            opts.allowedOrigins === undefined
              ? undefined
              : String(opts.allowedOrigins).split(",").filter(Boolean),
          success_url: opts.successUrl,
          error_url: opts.errorUrl,
        };
        const touchesSettings =
          Object.values(settings).some((v) => v !== undefined) || opts.logo !== undefined;
        if (opts.wireProfile === undefined && opts.rateLimitPerMinute === undefined && !touchesSettings)
          throw new Error(
            "nothing to update: pass --wire-profile, --rate-limit-per-minute, or a branding or redirect option",
          );
        const { projectId } = await projectPrincipal(ctx, id ?? opts.project);
        if (touchesSettings) {
          await ctx.projectSettings.update(projectId, settings, cliActor());
          if (opts.logo !== undefined)
            await ctx.projectSettings.setLogo(
              projectId,
              opts.logo === "none" ? null : fs.readFileSync(path.resolve(opts.logo)),
              cliActor(),
            );
          if (opts.wireProfile === undefined && opts.rateLimitPerMinute === undefined) {
            const view = await ctx.projectSettings.get(projectId);
            print(opts.json, view, () =>
              [
                `Updated ${pc.bold(projectId)}:`,
                `  display name ${view.display_name ?? "-"}, accent ${view.accent_color ?? "-"}, logo ${view.logo_url ? "set" : "-"}, support ${view.support_url ?? "-"}`,
                `  success URL ${view.success_url ?? "-"}, error URL ${view.error_url ?? "-"}, allowed origins ${view.allowed_origins.join(", ") || "-"}`,
              ].join("\n"),
            );
            return;
          }
        }
        const project = await ctx.tenancy.updateProject(
          projectId,
          {
            wireProfile: opts.wireProfile,
            rateLimitPerMinute:
              opts.rateLimitPerMinute === "default" ? null : (opts.rateLimitPerMinute as number | undefined),
          },
          cliActor(),
        );
        print(opts.json, project, () => {
          const limit = project.rate_limit_per_minute;
          const said =
            limit === null
              ? "PORTICO_RATE_LIMIT_PER_MINUTE"
              : limit === 0
                ? "no limit"
                : `${limit} per minute per key`;
          return `Updated ${pc.bold(project.project_id)}: wire profile ${project.wire_profile}, rate limit ${said} (running servers apply changes within PORTICO_API_KEY_CACHE_SECONDS)`;
        });
      }),
    );

  const keys = program.command("api-keys").description("Manage API keys");
  keys
    .command("create")
    .description("Create an API key for a project (the key is shown once)")
    .requiredOption("--project <id>", "project id")
    .option("--name <name>", "a name to recognise the key by")
    .option(
      "--wire-profile <profile>",
      `pin the StackOne contract this key's callers get: ${WIRE_PROFILE_FORMS}`,
    )
    .option(
      "--scope <scopes>",
      `what the key may call: ${SCOPES.join(", ")} (comma-separated for several; default full)`,
      (v: string) => parseScopes(v, "--scope"),
    )
    .option(
      "--expires-in <duration>",
      "the key stops working after this long: seconds, or 30m, 12h, 90d",
      (v: string) => parseExpiresIn(v, "--expires-in"),
    )
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        const key = await ctx.tenancy.createApiKey(opts.project, opts.name, {
          wireProfile: opts.wireProfile,
          actor: cliActor(),
          scopes: opts.scope,
          expiresInMs: opts.expiresIn,
        });
        print(
          opts.json,
          key,
          () =>
            `Created ${key.id} for ${key.project_id} (scope ${key.scopes}${key.expires_at ? `, expires ${key.expires_at}` : ""})\nAPI key (shown once): ${key.api_key}`,
        );
      }),
    );
  keys
    .command("list")
    .description("List API keys (prefixes only; keys are not stored)")
    .option("--project <id>", "only this project's keys")
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        const list = await ctx.tenancy.listApiKeys(opts.project);
        print(opts.json, list, () =>
          table(list, [
            "id",
            "project_id",
            "prefix",
            "name",
            "scopes",
            "wire_profile",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
          ]),
        );
      }),
    );
  keys
    .command("update")
    .description("Change an API key's settings")
    .argument("<id>", "key id (key_...)")
    .option(
      "--wire-profile <profile>",
      `the StackOne contract this key's callers get: ${WIRE_PROFILE_FORMS}, or project (follow the project's)`,
    )
    .option("--json", "print JSON")
    .action(async (id, opts) =>
      withContext(async (ctx) => {
        const key = await ctx.tenancy.updateApiKey(id, { wireProfile: opts.wireProfile }, cliActor());
        print(opts.json, key, () => `Updated ${key.id} (${key.prefix}): wire profile ${key.wire_profile}`);
      }),
    );
  keys
    .command("revoke")
    .description("Revoke an API key by id")
    .argument("<id>", "key id (key_...)")
    .option("--json", "print JSON")
    .action(async (id, opts) =>
      withContext(async (ctx) => {
        const key = await ctx.tenancy.revokeApiKey(id, cliActor());
        print(opts.json, key, () => `Revoked ${key.id} (${key.prefix})`);
      }),
    );
}
