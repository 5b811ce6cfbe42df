import type { Command } from "commander";
import { pc } from "../cli/colors.js";
import { print, table } from "../cli/output.js";
import { inProject, projectPrincipal } from "../cli/project-principal.js";
import { withContext } from "../cli/with-context.js";
import type { Context } from "../context.js";
import { PorticoError } from "../errors.js";
import { cliActor } from "../history/actor.js";

const time = (name: string) => (v: string) => {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new Error(`${name} must be an ISO date-time, e.g. 2026-01-31T12:00:00Z`);
  return ms;
};

/**
 * An action on one endpoint (`<id>`, then options): as `--project` when given, else as the
 * project the endpoint belongs to, so an id is enough however many projects there are.
 */
function onEndpoint(
  fn: (ctx: Context, projectId: string, opts: { json?: boolean }, id: string) => Promise<void>,
) {
  return (id: string, opts: { json?: boolean; project?: string }): Promise<void> =>
    withContext(async (ctx) => {
      const projectId = opts.project
        ? (await projectPrincipal(ctx, opts.project)).projectId
        : await ctx.webhooks.projectOfEndpoint(id);
      if (!projectId) throw new PorticoError("NOT_FOUND", `webhook endpoint ${id} not found`);
      await fn(ctx, projectId, opts, id);
    });
}

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command("webhooks").description("Webhook endpoints, deliveries and replays");
  webhooks
    .command("add")
    .description("Add an endpoint (prints its signing secret once)")
    .requiredOption("--url <url>", "where events are POSTed")
    .option("--project <id>", "project id (default: the only project)")
    .option("--events <list>", "comma-separated event types (default: all)")
    .option("--description <text>", "a note for humans")
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts) => {
        const events = opts.events
          ? String(opts.events)
              .split(",")
              .map((e: string) => e.trim())
              .filter(Boolean)
          : null;
        const ep = await ctx.webhooks.add(
          projectId,
          {
            url: opts.url,
            description: opts.description,
            events,
          },
          cliActor(),
        );
        print(
          opts.json,
          ep,
          () => `Added ${pc.bold(ep.id)} -> ${ep.url}\nSigning secret (shown once): ${ep.secret}`,
        );
      }),
    );
  webhooks
    .command("list")
    .description("List endpoints")
    .option("--project <id>", "project id (default: the only project)")
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts) => {
        const list = await ctx.webhooks.list(projectId);
        print(opts.json, list, () =>
          table(
            list.map((e) => ({ ...e, events: e.events?.join(",") ?? "all" })),
            ["id", "url", "events", "status", "failing_since", "created_at"],
          ),
        );
      }),
    );
  webhooks
    .command("remove")
    .description("Remove an endpoint and its pending deliveries")
    .argument("<id>", "endpoint id (we_...)")
    .option("--project <id>", "project id (default: the endpoint's)")
    .option("--json", "print JSON")
    .action(
      onEndpoint(async (ctx, projectId, opts, id) => {
        const ep = await ctx.webhooks.remove(projectId, id, cliActor());
        print(opts.json, ep, () => `Removed ${ep.id}`);
      }),
    );
  webhooks
    .command("rotate-secret")
    .description(
      "Issue a new signing secret; the old one stays valid for PORTICO_WEBHOOK_SECRET_OVERLAP_SECONDS",
    )
    .argument("<id>", "endpoint id (we_...)")
    .option("--project <id>", "project id (default: the endpoint's)")
    .option("--json", "print JSON")
    .action(
      onEndpoint(async (ctx, projectId, opts, id) => {
        const ep = await ctx.webhooks.rotateSecret(projectId, id, cliActor());
        print(
          opts.json,
          ep,
          () =>
            `New secret for ${ep.id} (shown once): ${ep.secret}\nThe old one signs too until ${ep.previous_secret_valid_until}`,
        );
      }),
    );
  webhooks
    .command("enable")
    .description("Re-enable an endpoint that was disabled after failing")
    .argument("<id>", "endpoint id (we_...)")
    .option("--project <id>", "project id (default: the endpoint's)")
    .option("--json", "print JSON")
    .action(
      onEndpoint(async (ctx, projectId, opts, id) => {
        const ep = await ctx.webhooks.enable(projectId, id, cliActor());
        print(opts.json, ep, () => `Enabled ${ep.id}`);
      }),
    );
  webhooks
    .command("deliveries")
    .description("Recent deliveries with every attempt")
    .option("--project <id>", "project id (default: the only project)")
    .option("--endpoint <id>", "only this endpoint")
    .option("--event <id>", "only this event")
    .option("--limit <n>", "how many (default 50)", Number)
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts) => {
        const list = await ctx.webhooks.deliveries(projectId, {
          endpointId: opts.endpoint,
          eventId: opts.event,
          limit: opts.limit,
        });
        print(opts.json, list, () =>
          table(
            list.map((d) => ({
              ...d,
              attempts: d.attempts.length,
              last: d.attempts.at(-1) ? (d.attempts.at(-1)!.status_code ?? d.attempts.at(-1)!.error) : "-",
            })),
            [
              "id",
              "event_id",
              "type",
              "endpoint_id",
              "status",
              "attempts",
              "last",
              "next_attempt_at",
              "delivered_at",
            ],
          ),
        );
      }),
    );
  webhooks
    .command("replay")
    .description("Send events again: one by id, or every event in a time range")
    .option("--project <id>", "project id (default: the only project)")
    .option("--event <id>", "event id (msg_...)")
    .option("--since <time>", "ISO date-time", time("--since"))
    .option("--until <time>", "ISO date-time (default: now)", time("--until"))
    .option("--endpoint <id>", "only to this endpoint")
    .option("--json", "print JSON")
    .action(
      inProject(async (ctx, projectId, opts) => {
        const r = await ctx.webhooks.replay(
          projectId,
          {
            eventId: opts.event,
            from: opts.since,
            to: opts.until,
            endpointId: opts.endpoint,
          },
          cliActor(),
        );
        print(opts.json, r, () =>
          [
            `Queued ${r.deliveries} deliveries of ${r.events} events`,
            ...(r.next_since
              ? [`More events from ${r.next_since}: run again with --since ${r.next_since}`]
              : []),
          ].join("\n"),
        );
      }),
    );
}
