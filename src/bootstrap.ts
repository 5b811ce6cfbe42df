import type { Context } from "./context.js";
import { isSandboxProvider } from "./sandbox/entries.js";
import type { InitResult } from "./tenancy/service.js";

/**
 * First-start initialization (also `portico init`): an organization, a project and a key, with
 * the sandbox providers enabled on that project so the quick start works offline. Null when the
 * database already has an organization.
 */
export async function initialize(
  ctx: Context,
  opts: { organizationName?: string; projectName?: string } = {},
): Promise<InitResult | null> {
  const init = await ctx.tenancy.init(opts);
  if (!init) return null;
  for (const entry of ctx.catalog.list()) {
    if (isSandboxProvider(entry.key)) await ctx.integrations.enable(init.project_id, entry.key);
  }
  return init;
}
