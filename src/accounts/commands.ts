import type { Command } from "commander";
import { pc } from "../cli/colors.js";
import { print } from "../cli/output.js";
import { inProject } from "../cli/project-principal.js";
import { cliActor } from "../history/actor.js";

export function registerAccountCommands(program: Command): void {
  const accounts = program.command("accounts").description("Linked accounts");
  accounts
    .command("check")
    .description(
      "Check an account's credentials with its provider now (a confirmed refusal puts it in error; a success brings it back)",
    )
    .argument("<id>", "account id (acc_...)")
    .option("--project <id>", "project id (default: the only project)")
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts, id: string) => {
        const view = await ctx.health.check(projectId, id, cliActor());
        print(opts.json, view, () => {
          const result =
            view.result === "ok"
              ? pc.green("ok")
              : view.result === "rejected"
                ? pc.red("rejected")
                : view.result;
          return [
            `${view.account_id}: ${result}${view.detail ? ` (${view.detail})` : ""}; status ${view.status}`,
            `next check: ${view.next_check_at ?? "none scheduled"}`,
          ].join("\n");
        });
        if (view.result === "rejected") process.exitCode = 2;
      }),
    );
}
