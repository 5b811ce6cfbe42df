import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IntegrationsService } from "../../src/integrations/service.js";
import { IntegrationsStore } from "../../src/integrations/store.js";
import { consoleFetch, signIn } from "../helpers/console.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { portico } from "../helpers/processes.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const PLAIN = /^This integration is not available; contact Acme Connect\.$/;

/**
 * An OAuth2 integration needs its OAuth app (issue 18): enabling one without it is refused with
 * the command that does it, one whose app is missing or broken is not offered in the hub, and an
 * end user who reaches it anyway is told only that it is not available and whom to ask, while
 * the operator reads the cause in the console and the log.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`OAuth2 integrations and their apps on ${dialect}`, () => {
    let s: TestServer;
    const logged: { msg: string; cause?: string; provider?: string }[] = [];

    beforeAll(async () => {
      s = await startTestServer(dialect);
      await s.ctx.database.db
        .updateTable("projects")
        .set({ name: "Acme Connect" })
        .where("id", "=", s.projectId)
        .execute();
    });
    afterAll(() => s?.close());

    /** What an older Portico let through: the provider active, with no (or a broken) app. */
    const legacyRow = async (
      provider: string,
      set: { client_id: string | null; client_secret: string | null },
    ) => {
      const now = Date.now();
      await s.ctx.database.db
        .insertInto("integrations")
        .values({
          project_id: s.projectId,
          provider,
          active: 1,
          scopes: null,
          created_at: now,
          updated_at: now,
          ...set,
        })
        .onConflict((oc) => oc.columns(["project_id", "provider"]).doUpdateSet({ active: 1, ...set }))
        .execute();
    };

    it("refuses to enable an OAuth2 provider without its app, naming the command that does it", async () => {
      await expect(s.ctx.integrations.enable(s.projectId, "hubspot")).rejects.toMatchObject({
        statusCode: 400,
        message: expect.stringMatching(
          /^client_id: HubSpot uses OAuth2 and needs the project's OAuth app .*portico integrations enable --provider hubspot .*--client-id <id> --client-secret <secret>/,
        ),
      });
      await expect(
        s.ctx.integrations.enable(s.projectId, "hubspot", { clientId: "only-id" }),
      ).rejects.toThrow(/client-secret/);
      expect(await s.ctx.integrations.isActive(s.projectId, "hubspot")).toBe(false);
      // With its app it is enabled; disabled and enabled again, it keeps the app.
      await s.ctx.integrations.enable(s.projectId, "hubspot", {
        clientId: "hs-id",
        clientSecret: "hs-secret",
      });
      await s.ctx.integrations.disable(s.projectId, "hubspot");
      expect((await s.ctx.integrations.enable(s.projectId, "hubspot")).active).toBe(true);
      // Providers whose end users bring their own client, and the sandbox's built-in app, need none.
      expect((await s.ctx.integrations.enable(s.projectId, "personio")).active).toBe(true);
      expect((await s.ctx.integrations.enable(s.projectId, "sandbox-crm")).active).toBe(true);
    });

    it("refuses it on the command line too, without enabling anything", async () => {
      const env = {
        PORTICO_DATA_DIR: s.config.dataDir,
        PORTICO_DATABASE_URL: s.config.databaseUrl,
        PORTICO_LOG_LEVEL: "silent",
      };
      const res = await portico(
        ["integrations", "enable", "--provider", "jira", "--project", s.projectId],
        env,
      );
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(
        /portico integrations enable --provider jira .*--client-id <id> --client-secret <secret>/,
      );
      expect(res.stdout).not.toMatch(/Enabled/);
      expect(await s.ctx.integrations.isActive(s.projectId, "jira")).toBe(false);
    });

    it("does not offer a provider whose app is missing or broken, and tells the operator why", async () => {
      await legacyRow("jira", { client_id: null, client_secret: null });
      await legacyRow("slack", { client_id: "sl-id", client_secret: "v1.k1.AAAA.BBBB.CCCC" });
      const session = await createSession(s, { origin_owner_id: "u1", origin_owner_name: "U" });
      const offered = async () =>
        (
          (await (await hubFetch(s, session.token, "/connectors")).json()) as {
            integrations: { provider: string }[];
          }
        ).integrations.map((i) => i.provider);
      // Wait out the one-second cache of active providers.
      await new Promise((r) => setTimeout(r, 1100));
      const list = await offered();
      expect(list).toContain("hubspot");
      expect(list).not.toContain("jira");
      expect(list).not.toContain("slack");

      const cookie = await signIn(s);
      const page = (await (
        await consoleFetch(s, cookie, "GET", `/projects/${s.projectId}/integrations`)
      ).json()) as {
        integrations: { provider: string; active: boolean; problem: string | null }[];
      };
      const of = (p: string) => page.integrations.find((i) => i.provider === p)!;
      expect(of("jira")).toMatchObject({
        active: true,
        problem: expect.stringMatching(
          /no OAuth app is configured for Jira: portico integrations enable --provider jira/,
        ),
      });
      expect(of("slack").problem).toMatch(/client secret of Slack cannot be read with this keyring/);
      expect(of("hubspot").problem).toBeNull();
    });

    it("tells an end user who reaches it only that it is not available, and whom to ask", async () => {
      await legacyRow("jira", { client_id: null, client_secret: null });
      const session = await createSession(s, { origin_owner_id: "u2", origin_owner_name: "U" });
      const config = await hubFetch(s, session.token, "/connectors/jira");
      expect(config.status).toBe(412);
      expect(((await config.json()) as { message: string }).message).toMatch(PLAIN);

      // The OAuth popup, had the hub offered it before the app broke.
      const attempt = (await (
        await hubFetch(s, session.token, "/connection_attempts", {
          method: "POST",
          body: { token: session.token },
        })
      ).json()) as { id: string };
      const popup = await fetch(
        `${s.url}/connect/oauth2/jira?token=${session.token}&connection_attempt_id=${attempt.id}`,
        { redirect: "manual" },
      );
      const html = await popup.text();
      expect(html).toContain("This integration is not available; contact Acme Connect.");
      expect(html).not.toMatch(/portico|client-id|integrations enable/i);
      const view = (await (
        await hubFetch(s, session.token, `/connection_attempts/${attempt.id}`)
      ).json()) as {
        status: string;
        error: { code: string; description: string };
      };
      expect(view).toMatchObject({ status: "error", error: { code: "integration_unavailable" } });
      expect(view.error.description).toMatch(PLAIN);
    });

    it("logs the cause once for the operator", async () => {
      const lines: string[] = [];
      const logger = pino(
        { level: "warn" },
        new Writable({
          write(chunk, _enc, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      );
      const service = new IntegrationsService(
        new IntegrationsStore(s.ctx.database.db),
        s.ctx.catalog,
        s.ctx.vault,
        {},
        Date.now,
        undefined,
        { logger, projectName: async () => "Acme Connect" },
      );
      await legacyRow("jira", { client_id: null, client_secret: null });
      expect((await service.offeredProviders(s.projectId)).has("jira")).toBe(false);
      expect((await service.offeredProviders(s.projectId)).has("jira")).toBe(false);
      const err = await service.unavailable(s.projectId, "jira", "no OAuth app is configured for Jira: ...");
      expect(err.message).toMatch(PLAIN);
      const parsed = lines.map((l) => JSON.parse(l) as (typeof logged)[number]);
      expect(
        parsed.filter(
          (l) => l.provider === "jira" && /no OAuth app is configured for Jira: portico/.test(l.cause ?? ""),
        ),
      ).toHaveLength(1);
      expect(parsed[0]!.msg).toMatch(/integration not available to end users/);
    });
  });
}
