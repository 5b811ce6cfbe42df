import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HEALTH_ACTOR } from "../../src/accounts/health.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";
import { CLIENT, startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * Health checks of an OAuth account (a client-credentials provider on oidc-provider, 127.0.0.1):
 * a refused access token is not a refused account. The check confirms with a freshly refreshed
 * token, and only a refusal of that one would put the account in error.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`health checks of OAuth accounts on ${dialect}`, () => {
    let s: TestServer;
    let tp: ThirdParty;
    let accountId: string;

    beforeAll(async () => {
      tp = await startThirdParty(["http://127.0.0.1/unused-callback"]);
      // The client-credentials entry, with a verification request (any /api/* path needs a live token).
      const cc = fs.readFileSync(path.join(tp.catalogDir, "test-cc.yaml"), "utf8");
      fs.writeFileSync(
        path.join(tp.catalogDir, "test-cc-verified.yaml"),
        `${cc.replace("key: test-cc", "key: test-cc-verified").replace("name: Test Client Credentials", "name: Test CC Verified")}verify: { path: /contacts, expect_status: 200, reject_status: 401 }\n`,
      );
      s = await startTestServer(dialect, { PORTICO_CATALOG_DIRS: tp.catalogDir });
      await s.ctx.integrations.enable(s.projectId, "test-cc-verified");
      const session = await createSession(s, { origin_owner_id: "oauth-h", origin_owner_name: "OAuth H" });
      const res = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: {
          integration_id: "test-cc-verified",
          credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret },
        },
      });
      expect(res.status, await res.clone().text()).toBe(201);
      accountId = ((await res.json()) as { id: string }).id;
    });
    afterAll(async () => {
      await s?.close();
      await tp?.close();
    });

    it("a live token passes the check", async () => {
      expect(await s.ctx.health.check(s.projectId, accountId, HEALTH_ACTOR)).toMatchObject({
        result: "ok",
        status: "active",
      });
    });

    it("a token the provider refuses is refreshed and checked again before anything changes", async () => {
      // The stored access token stops being one the provider knows (revoked at the provider).
      const row = (await s.ctx.accounts.rowForRefresh(s.projectId, accountId))!;
      const secrets = s.ctx.accounts.openSecrets(row);
      await s.ctx.database.db
        .updateTable("accounts")
        .set({
          credentials: s.ctx.accounts.sealSecrets(row.id, {
            ...secrets,
            tokens: { ...secrets.tokens!, access_token: "revoked-token" },
          }),
        })
        .where("id", "=", accountId)
        .execute();
      const before = tp.grants.success.client_credentials ?? 0;
      const view = await s.ctx.health.check(s.projectId, accountId, HEALTH_ACTOR);
      expect(view).toMatchObject({ result: "ok", status: "active" });
      // The confirmation took a new token by a new grant.
      expect((tp.grants.success.client_credentials ?? 0) - before).toBe(1);
      const events = await s.ctx.history.accountTimeline(s.projectId, accountId);
      expect(events.data.map((e) => e.type)).not.toContain("error");
    });
  });
}
