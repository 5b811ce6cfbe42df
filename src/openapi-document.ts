import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { buildApp } from "./app.js";
import type { Config } from "./config.js";
import { createContext } from "./context.js";

/**
 * The OpenAPI document `/openapi.json` serves, built without a server, for `portico openapi`
 * (generating a client offline; the docs site's reference pages are rendered from it). The routes
 * are built over a throwaway database and keyring, so the configured database is never opened; the
 * document's server URL is the configuration's public URL, as a running server's would be.
 */
export async function openApiDocument(config: Config): Promise<unknown> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "portico-openapi-"));
  try {
    const ctx = await createContext(
      {
        ...config,
        dataDir: scratch,
        databaseUrl: `file:${path.join(scratch, "portico.db")}`,
        encryptionKeys: undefined,
      },
      { logger: pino({ level: "silent" }), backgroundCheckpoints: false },
    );
    try {
      const app = await buildApp(ctx);
      await app.ready();
      const doc = app.swagger();
      await app.close();
      return doc;
    } finally {
      await ctx.close();
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
