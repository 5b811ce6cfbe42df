import { loadConfig } from "../config.js";
import { type Context, createContext } from "../context.js";
import { createLogger } from "../logger.js";

/**
 * Runs one CLI command against the configured database (migrated first), then closes it.
 * Logs go to stderr at warn so --json output on stdout stays machine-readable.
 */
export async function withContext<T>(fn: (ctx: Context) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger("warn", config.logFormat, 2);
  const ctx = await createContext(config, { logger, backgroundCheckpoints: false });
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
