import type { Context } from "../context.js";
import type { Principal } from "../tenancy/service.js";
import { withContext } from "./with-context.js";

/**
 * The principal a CLI command acts as: the given project, or the only project when there is one.
 * The CLI runs on the server's own machine with database access, so it needs no API key.
 */
export async function projectPrincipal(ctx: Context, projectId: string | undefined): Promise<Principal> {
  let id = projectId;
  if (!id) {
    const projects = await ctx.tenancy.listProjects();
    if (projects.length !== 1) {
      throw new Error(
        projects.length === 0
          ? "no project yet: run `portico init`"
          : "several projects: pass --project <id>",
      );
    }
    id = projects[0]!.project_id;
  }
  const project = await ctx.tenancy.requireProject(id);
  return {
    organizationId: project.organization_id,
    projectId: project.project_id,
    keyId: "cli",
    keyPrefix: "cli",
    rateLimitPerMinute: project.rate_limit_per_minute,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: commander's options are untyped by nature.
type Options = Record<string, any> & { project?: string };

/**
 * A command action run against the configured database as the project of `--project` (or the only
 * one). Commander calls actions with (...arguments, options, command); the callback gets
 * (ctx, projectId, options, ...arguments).
 */
export function inProject<A extends string[]>(
  fn: (ctx: Context, projectId: string, opts: Options, ...args: A) => Promise<void>,
) {
  return (...commandArgs: unknown[]): Promise<void> => {
    const opts = commandArgs.at(-2) as Options;
    const args = commandArgs.slice(0, -2) as A;
    return withContext(async (ctx) =>
      fn(ctx, (await projectPrincipal(ctx, opts.project)).projectId, opts, ...args),
    );
  };
}
