import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Context, createContext } from "../../src/context.js";
import { createTestDatabase, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { connectOAuth, expireAccessToken } from "../helpers/oauth.js";
import { firstStartKey, freePort, type ServeProcess, spawnServe } from "../helpers/processes.js";
import type { TestServer } from "../helpers/test-server.js";
import { basic } from "../helpers/test-server.js";
import { CLIENT, startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * Two `portico serve` processes on one PostgreSQL, each taking half of 200 concurrent proxy calls
 * on an account whose access token has just expired: the provider sees exactly one refresh.
 */
describe.skipIf(!dialectAvailable("postgres"))(
  "one refresh per token across two processes on PostgreSQL",
  () => {
    let db: TestDatabase;
    let tp: ThirdParty;
    let a: ServeProcess;
    let b: ServeProcess;
    let ctx: Context;
    let apiKey: string;
    const dirs: string[] = [];

    beforeAll(async () => {
      db = await createTestDatabase("postgres");
      const [portA, portB] = [await freePort(), await freePort()];
      tp = await startThirdParty([`http://127.0.0.1:${portA}/oauth/callback`]);
      const shared = {
        PORTICO_DATABASE_URL: db.url,
        PORTICO_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
        PORTICO_CATALOG_DIRS: tp.catalogDir,
        PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
        PORTICO_OAUTH_REDIRECT_URL: `http://127.0.0.1:${portA}/oauth/callback`,
        PORTICO_LOG_LEVEL: "warn",
      };
      const dataDir = () => {
        const d = fs.mkdtempSync(path.join(os.tmpdir(), "portico-mp-"));
        dirs.push(d);
        return d;
      };
      a = await spawnServe({
        ...shared,
        PORTICO_PORT: String(portA),
        PORTICO_PUBLIC_URL: `http://127.0.0.1:${portA}`,
        PORTICO_DATA_DIR: dataDir(),
      });
      apiKey = firstStartKey(a.output())!;
      b = await spawnServe({
        ...shared,
        PORTICO_PORT: String(portB),
        PORTICO_PUBLIC_URL: `http://127.0.0.1:${portB}`,
        PORTICO_DATA_DIR: dataDir(),
      });
      ctx = await createContext(
        loadConfig({
          ...shared,
          PORTICO_DATA_DIR: dataDir(),
          PORTICO_PUBLIC_URL: `http://127.0.0.1:${portA}`,
        }),
        {
          logger: pino({ level: "silent" }),
        },
      );
      const [project] = await ctx.tenancy.listProjects();
      await ctx.integrations.enable(project!.project_id, "test-oauth", {
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
      });
    });

    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await ctx?.close();
      await tp?.close();
      await db?.drop();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it("refreshes once for 100 calls on each process, three times over", async () => {
      const server = { url: a.url, apiKey, config: { publicUrl: a.url } } as unknown as TestServer;
      const { accountId } = await connectOAuth(server, "test-oauth");
      const call = (url: string) =>
        fetch(`${url}/unified/proxy`, {
          method: "POST",
          headers: {
            authorization: basic(apiKey),
            "content-type": "application/json",
            "x-account-id": accountId,
          },
          body: JSON.stringify({ path: "/contacts" }),
        }).then((r) => r.status);

      for (let round = 0; round < 3; round++) {
        await expireAccessToken(ctx, accountId);
        const before = tp.grants.success.refresh_token ?? 0;
        const statuses = await Promise.all(
          Array.from({ length: 200 }, (_, i) => call(i % 2 === 0 ? a.url : b.url)),
        );
        expect(statuses).toEqual(Array(200).fill(200));
        expect((tp.grants.success.refresh_token ?? 0) - before, `round ${round}`).toBe(1);
      }
      expect(tp.grants.errors).toEqual([]);
      expect(
        (await ctx.accounts.get((await ctx.tenancy.listProjects())[0]!.project_id, accountId)).status,
      ).toBe("active");
    });
  },
);
