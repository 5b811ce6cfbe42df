import type { Command } from "commander";
import { pc } from "../cli/colors.js";
import { print } from "../cli/output.js";
import { projectPrincipal } from "../cli/project-principal.js";
import { withContext } from "../cli/with-context.js";
import { LATEST_CONTRACT } from "../http/client-contracts.js";
import { validationError } from "../http/validation.js";
import { ConnectSessionCreate, forClient } from "./schemas.js";

export function registerSessionCommands(program: Command): void {
  const sessions = program.command("sessions").description("Connect sessions");
  sessions
    .command("create")
    .description("Create a connect session and print its auth link")
    .option("--project <id>", "project id (default: the only project)")
    .requiredOption("--origin-owner-id <id>", "your customer's id")
    .requiredOption("--origin-owner-name <name>", "your customer's name")
    .option("--origin-username <name>", "the end user's name")
    .option("--provider <key>", "open the hub at this provider")
    .option("--categories <list>", "comma-separated categories, e.g. hris,ats")
    .option("--account-id <id>", "edit mode for this account")
    .option("--label <label>", "label applied to the linked account")
    .option("--metadata <json>", "JSON object applied to the linked account")
    .option("--expires-in <seconds>", "lifetime in seconds (60..2592000)", Number)
    .option("--multiple", "allow several accounts per owner and provider")
    .option("--type <type>", "production or test")
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        let metadata: unknown;
        if (opts.metadata !== undefined) {
          try {
            metadata = JSON.parse(opts.metadata);
          } catch {
            throw new Error("--metadata must be a JSON object");
          }
        }
        const parsed = ConnectSessionCreate.safeParse({
          origin_owner_id: opts.originOwnerId,
          origin_owner_name: opts.originOwnerName,
          origin_username: opts.originUsername,
          provider: opts.provider,
          categories: opts.categories?.split(",").map((c: string) => c.trim()),
          account_id: opts.accountId,
          label: opts.label,
          metadata,
          expires_in: opts.expiresIn,
          multiple: opts.multiple,
          type: opts.type,
        });
        if (!parsed.success) throw validationError(parsed.error.issues, "option");
        // The same JSON the HTTP API's newest contract sends (organization_id a numeric string).
        const session = forClient(
          await ctx.sessions.create(await projectPrincipal(ctx, opts.project), parsed.data),
          LATEST_CONTRACT,
        );
        print(opts.json, session, () =>
          [
            `Session ${session.id} for ${session.origin_owner_name}, expires ${session.expires_at}`,
            `token:         ${session.token}`,
            `auth link:     ${pc.bold(session.auth_link_url)}`,
          ].join("\n"),
        );
      }),
    );
}
