import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountEventView } from "../../src/history/service.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris, SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { connectOAuth, expireAccessToken } from "../helpers/oauth.js";
import { freePort } from "../helpers/processes.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";
import { CLIENT, startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * Account events: every change to an account leaves an event with its actor, written in the
 * transaction of the change, on both dialects.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`account events on ${dialect}`, () => {
    let s: TestServer;
    let tp: ThirdParty;
    let keyId: string;
    beforeAll(async () => {
      const port = await freePort();
      tp = await startThirdParty([`http://127.0.0.1:${port}/oauth/callback`]);
      s = await startTestServer(dialect, { PORTICO_PORT: String(port), PORTICO_CATALOG_DIRS: tp.catalogDir });
      await s.ctx.integrations.enable(s.projectId, "test-oauth", {
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
      });
      keyId = (await s.ctx.tenancy.listApiKeys(s.projectId))[0]!.id;
    });
    afterAll(async () => {
      await s?.close();
      await tp?.close();
    });

    /** Oldest first, as a story reads. */
    const timeline = async (accountId: string): Promise<AccountEventView[]> =>
      (await s.ctx.history.accountTimeline(s.projectId, accountId)).data.reverse();
    const api = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
      fetch(`${s.url}${path}`, {
        method,
        headers: {
          authorization: basic(s.apiKey),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...extra,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it("records linked, reconnected, updated, credentials replaced and deleted, with who did each", async () => {
      const first = await createSession(s, {
        origin_owner_id: "ev-1",
        origin_owner_name: "Events Inc",
        origin_username: "ann@events.example",
      });
      const id = await linkSandboxHris(s, first.token);
      const second = await createSession(s, { origin_owner_id: "ev-1", origin_owner_name: "Events Inc" });
      expect(await linkSandboxHris(s, second.token)).toBe(id);
      expect((await api("PATCH", `/accounts/${id}`, { label: "Main HRIS" })).status).toBe(200);
      expect(
        (await api("PATCH", `/accounts/${id}`, { credentials: { api_key: SANDBOX_HRIS_KEY } })).status,
      ).toBe(200);
      expect((await api("DELETE", `/accounts/${id}`)).status).toBe(200);

      const events = await timeline(id);
      expect(events.map((e) => e.type)).toEqual([
        "linked",
        "reconnected",
        "updated",
        "credentials_replaced",
        "deleted",
      ]);
      expect(events[0]!.actor).toEqual({ type: "session", id: String(first.id), name: "ann@events.example" });
      expect(events[1]!.actor).toEqual({ type: "session", id: String(second.id), name: "Events Inc" });
      for (const e of events.slice(2)) expect(e.actor).toMatchObject({ type: "api_key", id: keyId });
      expect(events[2]!.detail).toEqual({ fields: ["label"] });
      expect(events.every((e) => e.provider === "sandbox-hris" && e.account_id === id)).toBe(true);
      expect(JSON.stringify(events)).not.toContain(SANDBOX_HRIS_KEY);

      const audit = await s.ctx.history.listAudit({ projectId: s.projectId, targetId: id });
      expect(audit.data).toHaveLength(1);
      expect(audit.data[0]).toMatchObject({
        action: "account.deleted",
        actor: { type: "api_key", id: keyId },
      });
    });

    it("records refresh failures with the provider's reason, the error, the recovery and scheduled refreshes", async () => {
      const { accountId } = await connectOAuth(s, "test-oauth");
      await expireAccessToken(s.ctx, accountId);
      tp.failTokenRequests(1, 400, {
        error: "invalid_grant",
        error_description: "grant revoked by the provider",
      });
      expect(
        (await api("POST", "/unified/proxy", { path: "/contacts" }, { "x-account-id": accountId })).status,
      ).toBe(502);
      await expireAccessToken(s.ctx, accountId);
      expect(
        (await api("POST", "/unified/proxy", { path: "/contacts" }, { "x-account-id": accountId })).status,
      ).toBe(200);
      await expireAccessToken(s.ctx, accountId);
      await s.ctx.database.db
        .updateTable("accounts")
        .set({ next_refresh_at: Date.now() - 1 })
        .where("id", "=", accountId)
        .execute();
      expect(await s.ctx.tokens.refreshDue()).toBeGreaterThanOrEqual(1);

      const events = await timeline(accountId);
      expect(events.map((e) => e.type)).toEqual([
        "linked",
        "refresh_failed",
        "error",
        "token_refreshed",
        "recovered",
        "token_refreshed",
      ]);
      expect(events[1]!.detail).toEqual({
        code: "invalid_grant",
        description: "grant revoked by the provider",
      });
      expect(events[1]!.actor).toMatchObject({ type: "api_key", id: keyId });
      expect(events[3]!.actor).toMatchObject({ type: "api_key", id: keyId });
      expect(events[5]!.actor).toEqual({ type: "scheduler", id: null, name: "token refresh" });
      const tokens = s.ctx.accounts.openSecrets(
        await s.ctx.database.db
          .selectFrom("accounts")
          .selectAll()
          .where("id", "=", accountId)
          .executeTakeFirstOrThrow(),
      ).tokens!;
      expect(JSON.stringify(events)).not.toContain(tokens.access_token);
    });

    it("writes nothing when the change's transaction rolls back", async () => {
      await expect(
        s.ctx.database.db.transaction().execute(async (trx) => {
          await s.ctx.history.accountEvent(trx, {
            projectId: s.projectId,
            accountId: "acc_rolled_back",
            provider: "sandbox-hris",
            type: "updated",
            actor: { type: "system", id: null, name: null },
          });
          throw new Error("the change failed");
        }),
      ).rejects.toThrow("the change failed");
      expect((await s.ctx.history.accountTimeline(s.projectId, "acc_rolled_back")).data).toEqual([]);
    });

    it("pages a long timeline with a cursor and keeps other projects out", async () => {
      const session = await createSession(s, { origin_owner_id: "ev-many", origin_owner_name: "Many" });
      const id = await linkSandboxHris(s, session.token);
      for (let i = 0; i < 4; i++)
        expect((await api("PATCH", `/accounts/${id}`, { label: `Label ${i}` })).status).toBe(200);
      const first = await s.ctx.history.accountTimeline(s.projectId, id, { limit: 3 });
      expect(first.data).toHaveLength(3);
      const second = await s.ctx.history.accountTimeline(s.projectId, id, { limit: 3, next: first.next! });
      expect(second.data).toHaveLength(2);
      expect(second.next).toBeNull();
      expect(new Set([...first.data, ...second.data].map((e) => e.id)).size).toBe(5);
      const other = await s.ctx.tenancy.createProject({ name: "Other" });
      expect((await s.ctx.history.accountTimeline(other.project_id, id)).data).toEqual([]);
    });
  });
}
