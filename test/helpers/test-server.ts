import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { buildApp } from "../../src/app.js";
import { initialize } from "../../src/bootstrap.js";
import { type Config, loadConfig } from "../../src/config.js";
import { type Context, createContext } from "../../src/context.js";
import type { Dialect } from "../../src/db/database.js";
import { createTestDatabase } from "./dialects.js";
import { freePort } from "./processes.js";

export type TestServer = {
  url: string;
  apiKey: string;
  projectId: string;
  organizationId: number;
  ctx: Context;
  config: Config;
  close(): Promise<void>;
};

/**
 * A live Portico on 127.0.0.1 with a fresh database of the given dialect, initialized like a first
 * start. `env` overrides configuration exactly as environment variables would.
 */
export async function startTestServer(
  dialect: Dialect,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const database = await createTestDatabase(dialect);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-data-"));
  // The port is chosen before the context is built, so every link Portico makes (auth links,
  // the sandbox's authorize page, the OAuth redirect) is the one a user would see.
  const port = env.PORTICO_PORT ? Number(env.PORTICO_PORT) : await freePort();
  const config: Config = loadConfig({
    PORTICO_DATA_DIR: dataDir,
    PORTICO_DATABASE_URL: database.url,
    PORTICO_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PORTICO_LOG_LEVEL: "silent",
    PORTICO_DATABASE_POOL_SIZE: process.env.PORTICO_DATABASE_POOL_SIZE ?? "4",
    PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
    ...env,
    PORTICO_PORT: String(port),
  });
  const ctx = await createContext(config, {
    logger: pino({ level: process.env.PORTICO_TEST_LOG ?? "silent" }),
  });
  const init = await initialize(ctx);
  if (!init) throw new Error("test database was not empty");
  const app = await buildApp(ctx);
  const address = await app.listen({ port, host: "127.0.0.1" });
  return {
    url: address,
    apiKey: init.api_key,
    projectId: init.project_id,
    organizationId: init.organization_id,
    ctx,
    config,
    close: async () => {
      await app.close();
      await ctx.close();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
