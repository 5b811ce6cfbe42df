import type { Command } from "commander";
import { pc } from "../cli/colors.js";
import { print, table } from "../cli/output.js";
import { withContext } from "../cli/with-context.js";
import type { Context } from "../context.js";
import { cliActor, safeUserName } from "../history/actor.js";
import { isRole, ROLES } from "./roles.js";

const organizationArg = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error("--organization must be a positive integer");
  return n;
};

const roleArg = (v: string) => {
  if (!isRole(v)) throw new Error(`--role must be one of ${ROLES.join(", ")}`);
  return v;
};

const consoleOn = (ctx: Context) => {
  if (!ctx.config.console)
    throw new Error("the console is turned off (PORTICO_CONSOLE=false): turn it on to sign in");
};

export function registerConsoleCommands(program: Command): void {
  const console = program.command("console").description("The operator console in the browser (/console)");
  console
    .command("link")
    .description(
      "Print a one-time sign-in link for the console, as an owner (break-glass access; valid PORTICO_CONSOLE_LINK_MINUTES)",
    )
    .option("--name <operator>", "who signs in with it, for the audit log (default: your user name)")
    .option("--organization <id>", "only this organization (default: every organization)", organizationArg)
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        consoleOn(ctx);
        const organizationId =
          opts.organization === undefined ? null : await ctx.tenancy.organization(opts.organization);
        const link = await ctx.consoleAuth.createLink(opts.name || safeUserName(), cliActor(), {
          organizationId,
        });
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

  const users = console
    .command("users")
    .description("Console operators: people by email, per organization, with a role (owner, admin, viewer)");
  users
    .command("invite <email>")
    .description(
      "Invite an email with a role: prints a one-time invitation link (valid PORTICO_CONSOLE_INVITATION_HOURS)",
    )
    .requiredOption("--role <role>", `owner, admin or viewer`, roleArg)
    .option("--organization <id>", "organization id (default: the first organization)", organizationArg)
    .option("--json", "print JSON: {url, expires_at, user}")
    .action(async (email: string, opts) =>
      withContext(async (ctx) => {
        consoleOn(ctx);
        const invitation = await ctx.consoleUsers.invite({
          email,
          role: opts.role,
          organizationId: opts.organization,
          actor: cliActor(),
        });
        print(opts.json, invitation, () =>
          [
            `Invited ${pc.bold(invitation.user.email)} as ${invitation.user.role} (organization ${invitation.user.organization_id}).`,
            `Send them this one-time link (it works once, until ${invitation.expires_at}):`,
            "",
            `  ${pc.bold(invitation.url)}`,
            "",
          ].join("\n"),
        );
      }),
    );
  users
    .command("list")
    .description("List console users")
    .option("--organization <id>", "only this organization (default: every organization)", organizationArg)
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        const list = await ctx.consoleUsers.list(opts.organization);
        print(opts.json, list, () =>
          table(
            list.map((u) => ({
              email: u.email,
              role: u.role,
              status: u.status,
              organization: u.organization_id,
              "last sign-in": u.last_sign_in_at,
              "invited by": u.created_by,
            })),
            ["email", "role", "status", "organization", "last sign-in", "invited by"],
          ),
        );
      }),
    );
  users
    .command("remove <email>")
    .description("Remove a console user: their sessions end at once, and their invitation stops working")
    .option(
      "--organization <id>",
      "their organization (needed when the email is in several)",
      organizationArg,
    )
    .option("--json", "print JSON")
    .action(async (email: string, opts) =>
      withContext(async (ctx) => {
        const removed = await ctx.consoleUsers.remove({
          organizationId: opts.organization,
          idOrEmail: email,
          actor: cliActor(),
        });
        print(
          opts.json,
          removed,
          () =>
            `Removed ${pc.bold(removed.email)} (organization ${removed.organization_id}); ${removed.sessions_ended} session${removed.sessions_ended === 1 ? "" : "s"} ended.`,
        );
      }),
    );
}
