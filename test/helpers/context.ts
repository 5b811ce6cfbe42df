import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { type Context, createContext } from "../../src/context.js";
import type { Dialect } from "../../src/db/database.js";
import { createTestDatabase } from "./dialects.js";

export type DialectContext = { ctx: Context; close(): Promise<void> };

/** A migrated, empty Portico context on a fresh database of the dialect, for service tests. */
export async function createDialectContext(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<DialectContext> {
  const database = await createTestDatabase(dialect);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-data-"));
  const config = loadConfig({
    PORTICO_DATA_DIR: dataDir,
    PORTICO_DATABASE_URL: database.url,
    PORTICO_LOG_LEVEL: "silent",
    PORTICO_DATABASE_POOL_SIZE: process.env.PORTICO_DATABASE_POOL_SIZE ?? "4",
    PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
    ...env,
  });
  const ctx = await createContext(config, { logger: pino({ level: "silent" }) });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
