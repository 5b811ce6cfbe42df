import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../../test/helpers/dialects.js";
import { createSession, linkSandboxHris } from "../../test/helpers/hub.js";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.js";
import { loadConfig } from "../config.js";
import { type Context, createContext } from "../context.js";
import { keyUsage, rotateKeys } from "./rotation.js";

const key = (kid: string) => `${kid}:${randomBytes(32).toString("base64")}`;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`key rotation on ${dialect}`, () => {
    const k1 = key("k1");
    const k2 = key("k2");
    let s: TestServer;
    const opened: Context[] = [];
    const dirs: string[] = [];
    const contextWith = async (keys: string) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-rotate-"));
      dirs.push(dir);
      const ctx = await createContext(
        loadConfig({
          PORTICO_DATABASE_URL: s.config.databaseUrl,
          PORTICO_DATA_DIR: dir,
          PORTICO_ENCRYPTION_KEYS: keys,
          PORTICO_DATABASE_POOL_SIZE: "2",
        }),
        { logger: pino({ level: "silent" }) },
      );
      opened.push(ctx);
      return ctx;
    };
    let accountId: string;
    let endpointId: string;

    beforeAll(async () => {
      s = await startTestServer(dialect, { PORTICO_ENCRYPTION_KEYS: k1 });
      const session = await createSession(s, { origin_owner_id: "rot-1", origin_owner_name: "Rot" });
      accountId = await linkSandboxHris(s, session.token);
      // Several rows per table, read two at a time below, so the keyset paging (a composite key
      // for integrations) is walked past its first batch.
      for (const provider of ["hubspot", "salesforce", "box"])
        await s.ctx.integrations.enable(s.projectId, provider, { clientId: "cid", clientSecret: "c-secret" });
      for (const owner of ["rot-2", "rot-3"])
        await linkSandboxHris(
          s,
          (await createSession(s, { origin_owner_id: owner, origin_owner_name: "R" })).token,
        );
      endpointId = (await s.ctx.webhooks.add(s.projectId, { url: "https://hooks.example.com/x" })).id;
      await s.ctx.webhooks.rotateSecret(s.projectId, endpointId);
    });
    afterAll(async () => {
      for (const c of opened) await c.close();
      await s?.close();
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    });

    it("re-encrypts every sealed column under the new primary key, after which the old key can go", async () => {
      const both = await contextWith(`${k2},${k1}`);
      const before = await keyUsage(both.database.db);
      expect(before["accounts.credentials"]).toEqual({ k1: 3 });

      const reports = await rotateKeys(both.database.db, both.vault, { batch: 2 });
      const rotated = Object.fromEntries(reports.map((r) => [r.column, r.rotated]));
      expect(rotated).toMatchObject({
        "meta.value": 1,
        "accounts.credentials": 3,
        "integrations.client_secret": 3,
        "webhook_endpoints.secret": 1,
        "webhook_endpoints.previous_secret": 1,
      });
      expect(reports.filter((r) => r.unreadable || r.changed_meanwhile)).toEqual([]);
      for (const byKey of Object.values(await keyUsage(both.database.db)))
        expect(Object.keys(byKey).every((kid) => kid === "k2")).toBe(true);
      // A second run has nothing left to do.
      expect((await rotateKeys(both.database.db, both.vault)).every((r) => r.rotated === 0)).toBe(true);

      // With the old key gone, a node starts and reads every secret.
      const only = await contextWith(k2);
      expect((await only.integrations.oauthApp(s.projectId, "hubspot"))?.clientSecret).toBe("c-secret");
      const { values } = await only.tokens.valuesFor(await only.accounts.row(s.projectId, accountId));
      expect(values.api_key).toBe("sandbox-demo-key");
      const endpoint = await only.database.db
        .selectFrom("webhook_endpoints")
        .selectAll()
        .where("id", "=", endpointId)
        .executeTakeFirstOrThrow();
      expect(only.webhooks.signingSecrets(endpoint)).toHaveLength(2);
      // And a node with only the old key is refused at start, before it serves anything.
      await expect(contextWith(k1)).rejects.toThrow(/cannot read this database/);
    });
  });
}
