import type { Command } from "commander";
import { print, table } from "../cli/output.js";
import { projectPrincipal } from "../cli/project-principal.js";
import { withContext } from "../cli/with-context.js";
import type { AuditView } from "./service.js";

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An ISO date-time, or a span back from now: `30m`, `24h`, `7d`. */
export function parseSince(name: string, now = Date.now()) {
  return (v: string): number => {
    const span = /^(\d+)([mhd])$/.exec(v.trim());
    if (span) return now - Number(span[1]) * UNITS[span[2]!]!;
    const ms = Date.parse(v);
    if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(ms))
      throw new Error(`${name} must be an ISO date-time (2026-01-31T12:00:00Z) or a span such as 24h or 7d`);
    return ms;
  };
}

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 10_000)
    throw new Error("--limit must be an integer from 1 to 10000");
  return n;
};

export function registerHistoryCommands(program: Command): void {
  const audit = program
    .command("audit")
    .description("The audit log: configuration changes, by whom and when");
  audit
    .command("list")
    .description("Audit entries, newest first (every project unless --project)")
    .option("--since <time>", "ISO date-time or a span back from now (30m, 24h, 7d)", parseSince("--since"))
    .option("--until <time>", "ISO date-time or a span back from now", parseSince("--until"))
    .option("--project <id>", "only this project")
    .option(
      "--actor <id>",
      "only this actor: an API key id (key_...), a console user (cu_...) or session id, or cli",
    )
    .option("--target <id>", "only changes to this account, key, endpoint or provider")
    .option("--limit <n>", "at most this many (default 100)", positive)
    .option("--json", "print JSON")
    .action(async (opts) =>
      withContext(async (ctx) => {
        const projectId = opts.project ? (await projectPrincipal(ctx, opts.project)).projectId : undefined;
        const wanted: number = opts.limit ?? 100;
        const entries: AuditView[] = [];
        let next: string | undefined;
        do {
          const page = await ctx.history.listAudit(
            { projectId, from: opts.since, to: opts.until, actorId: opts.actor, targetId: opts.target },
            { limit: Math.min(1000, wanted - entries.length), next },
          );
          entries.push(...page.data);
          next = page.next ?? undefined;
        } while (next && entries.length < wanted);
        print(opts.json, entries, () =>
          table(
            entries.map((e) => ({
              time: e.created_at,
              project: e.project_id,
              actor: `${e.actor.type}${e.actor.name ? `:${e.actor.name}` : ""}`,
              action: e.action,
              target: e.target_id,
              detail: e.detail ? JSON.stringify(e.detail) : null,
            })),
            ["time", "project", "actor", "action", "target", "detail"],
          ),
        );
      }),
    );
}
