import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { connectOAuth, expireAccessToken } from "../helpers/oauth.js";
import { freePort } from "../helpers/processes.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";
import { CLIENT, startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * OAuth2 against oidc-provider on 127.0.0.1: code + PKCE, refresh rotation, one refresh per token
 * under concurrency, failure and recovery, and the attacks the flow must refuse.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`OAuth2 with oidc-provider on ${dialect}`, () => {
    let s: TestServer;
    let tp: ThirdParty;
    beforeAll(async () => {
      const port = await freePort();
      tp = await startThirdParty([`http://127.0.0.1:${port}/oauth/callback`]);
      s = await startTestServer(dialect, { PORTICO_PORT: String(port), PORTICO_CATALOG_DIRS: tp.catalogDir });
      await s.ctx.integrations.enable(s.projectId, "test-oauth", {
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
      });
    });
    afterAll(async () => {
      await s?.close();
      await tp?.close();
    });

    const proxy = (accountId: string, body: unknown, apiKey = s.apiKey) =>
      fetch(`${s.url}/unified/proxy`, {
        method: "POST",
        headers: {
          authorization: basic(apiKey),
          "content-type": "application/json",
          "x-account-id": accountId,
        },
        body: JSON.stringify(body),
      });
    const account = (id: string) =>
      s.ctx.database.db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

    it("links an account with code + PKCE and calls the provider's API through the proxy", async () => {
      const { accountId } = await connectOAuth(s, "test-oauth");
      expect(tp.grants.success.authorization_code).toBe(1);
      const res = await proxy(accountId, { path: "/contacts?limit=1", method: "get" });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        status: 200,
        data: { path: "/api/contacts?limit=1", contacts: [{ id: "c1" }] },
      });
      expect(tp.apiCalls.at(-1)!.authorization).toMatch(/^Bearer /);
      const row = await account(accountId);
      const tokens = s.ctx.accounts.openSecrets(row).tokens!;
      expect(tokens.refresh_token).toBeTruthy();
      expect(row.credentials).not.toContain(tokens.access_token);
      expect(row.next_refresh_at).toBeGreaterThan(Date.now());
    });

    it("refreshes an expired token exactly once for 200 concurrent proxy calls", async () => {
      const { accountId } = await connectOAuth(s, "test-oauth");
      const before = s.ctx.accounts.openSecrets(await account(accountId)).tokens!;
      await expireAccessToken(s.ctx, accountId);
      const refreshesBefore = tp.grants.success.refresh_token ?? 0;
      const errorsBefore = tp.grants.errors.length;
      const results = await Promise.all(
        Array.from({ length: 200 }, () => proxy(accountId, { path: "/contacts" })),
      );
      expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
      expect((tp.grants.success.refresh_token ?? 0) - refreshesBefore).toBe(1);
      expect(tp.grants.errors.slice(errorsBefore)).toEqual([]);
      const after = s.ctx.accounts.openSecrets(await account(accountId)).tokens!;
      expect(after.access_token).not.toBe(before.access_token);
      expect(after.refresh_token).not.toBe(before.refresh_token);
      expect(after.expires_at).toBeGreaterThan(Date.now());
    });

    it("never spends a rotated refresh token twice; the server would revoke the grant if anyone did", async () => {
      const { accountId } = await connectOAuth(s, "test-oauth");
      const original = s.ctx.accounts.openSecrets(await account(accountId)).tokens!.refresh_token!;
      await expireAccessToken(s.ctx, accountId);
      expect((await proxy(accountId, { path: "/contacts" })).status).toBe(200);
      await expireAccessToken(s.ctx, accountId);
      expect((await proxy(accountId, { path: "/contacts" })).status).toBe(200);
      expect(tp.grants.errors.filter((e) => e.startsWith("refresh_token"))).toEqual([]);
      // Replaying the first refresh token by hand is refused by the authorization server.
      const replay = await fetch(`${tp.asUrl}/token`, {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: original }),
      });
      expect(replay.status).toBe(400);
      expect((await replay.json()).error).toBe("invalid_grant");
    });

    it("puts the account in error with a reason when refresh fails, and back to active when it works", async () => {
      const { accountId } = await connectOAuth(s, "test-oauth");
      await expireAccessToken(s.ctx, accountId);
      tp.failTokenRequests(1, 400, {
        error: "invalid_grant",
        error_description: "grant revoked by the provider",
      });
      const failed = await proxy(accountId, { path: "/contacts" });
      expect(failed.status).toBe(502);
      expect((await failed.json()).message).toMatch(/token refresh failed: invalid_grant/);
      const broken = await s.ctx.accounts.get(s.projectId, accountId);
      expect(broken.status).toBe("error");
      expect(broken.status_reasons![0]).toMatchObject({
        code: "invalid_grant",
        description: "grant revoked by the provider",
      });
      const row = await account(accountId);
      expect(row.next_refresh_at).toBeGreaterThan(Date.now());
      expect(row.refresh_failures).toBe(1);

      // The provider recovers: the next use (or the scheduler's retry) refreshes and heals the account.
      const ok = await proxy(accountId, { path: "/contacts" });
      expect(ok.status).toBe(200);
      const healed = await s.ctx.accounts.get(s.projectId, accountId);
      expect(healed.status).toBe("active");
      expect(healed.status_reasons).toBeNull();
    });

    it("refreshes through the background scheduler when a token nears expiry", async () => {
      const { accountId } = await connectOAuth(s, "test-oauth");
      await expireAccessToken(s.ctx, accountId);
      await s.ctx.database.db
        .updateTable("accounts")
        .set({ next_refresh_at: Date.now() - 1 })
        .where("id", "=", accountId)
        .execute();
      const before = tp.grants.success.refresh_token ?? 0;
      expect(await s.ctx.tokens.refreshDue()).toBeGreaterThanOrEqual(1);
      expect((tp.grants.success.refresh_token ?? 0) - before).toBeGreaterThanOrEqual(1);
      const row = await account(accountId);
      expect(row.token_expires_at).toBeGreaterThan(Date.now());
    });

    it("links a client-credentials provider from the credentials form, and refreshes by a new grant", async () => {
      await s.ctx.integrations.enable(s.projectId, "test-cc");
      const session = await createSession(s, { origin_owner_id: "cc-1", origin_owner_name: "CC" });
      const wrong = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: { integration_id: "test-cc", credentials: { client_id: CLIENT.id, client_secret: "wrong" } },
      });
      const wrongBody = await wrong.clone().text();
      expect(wrong.status, wrongBody).toBe(400);
      expect(typeof (await wrong.json()).provider_response).toBe("string");
      const before = tp.grants.success.client_credentials ?? 0;
      const res = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: {
          integration_id: "test-cc",
          credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret },
        },
      });
      expect(res.status).toBe(201);
      const { id } = await res.json();
      expect((tp.grants.success.client_credentials ?? 0) - before).toBe(1);
      expect((await proxy(id, { path: "/contacts" })).status).toBe(200);
      const row = await account(id);
      expect(row.credentials).not.toContain(CLIENT.secret);
      await expireAccessToken(s.ctx, id);
      expect((await proxy(id, { path: "/contacts" })).status).toBe(200);
      expect((tp.grants.success.client_credentials ?? 0) - before).toBe(2);
    });

    it("refuses an open redirect before anything reaches the provider", async () => {
      const session = await createSession(s, { origin_owner_id: "sec-1", origin_owner_name: "Sec" });
      const attempt = await (
        await hubFetch(s, session.token, "/connection_attempts", { method: "POST", body: {} })
      ).json();
      for (const evil of [
        "https://evil.example/steal",
        "javascript:alert(1)",
        `${s.url}.evil.example/embedded/accounts/callback`,
      ]) {
        const res = await fetch(
          `${s.url}/connect/oauth2/test-oauth?redirect_uri=${encodeURIComponent(evil)}&token=${session.token}&connection_attempt_id=${attempt.id}`,
          { redirect: "manual" },
        );
        expect(res.status, evil).toBe(400);
        expect(res.headers.get("location")).toBeNull();
        expect(await res.text()).toContain("Redirect refused");
      }
    });

    it("refuses a replayed callback (same state and code)", async () => {
      const session = await createSession(s, { origin_owner_id: "sec-2", origin_owner_name: "Sec" });
      const attempt = await (
        await hubFetch(s, session.token, "/connection_attempts", { method: "POST", body: {} })
      ).json();
      const start = await fetch(
        `${s.url}/connect/oauth2/test-oauth?token=${session.token}&connection_attempt_id=${attempt.id}`,
        {
          redirect: "manual",
        },
      );
      const authorize = new URL(start.headers.get("location")!);
      const { runPopup } = await import("../helpers/third-party.js");
      // Capture the provider's redirect to Portico's callback by following the popup manually.
      let callbackUrl = "";
      const originalFetch = globalThis.fetch;
      globalThis.fetch = async (input, init) => {
        const u = String(input);
        if (u.startsWith(`${s.url}/oauth/callback`)) callbackUrl = u;
        return originalFetch(input, init);
      };
      try {
        await runPopup(authorize.toString());
      } finally {
        globalThis.fetch = originalFetch;
      }
      expect(callbackUrl).toContain("code=");
      const accounts = (await s.ctx.accounts.list(s.projectId, { origin_owner_id: "sec-2" })).length;
      expect(accounts).toBe(1);
      const replay = await fetch(callbackUrl, { redirect: "manual" });
      expect(replay.status).toBe(400);
      expect(await replay.text()).toContain("already completed");
      expect((await s.ctx.accounts.list(s.projectId, { origin_owner_id: "sec-2" })).length).toBe(1);
      const view = await (await hubFetch(s, session.token, `/connection_attempts/${attempt.id}`)).json();
      expect(view.status).toBe("authenticated");
    });

    it("always sends a fresh S256 challenge: a downgrade in the popup URL is ignored", async () => {
      const session = await createSession(s, { origin_owner_id: "sec-3", origin_owner_name: "Sec" });
      const attempt = await (
        await hubFetch(s, session.token, "/connection_attempts", { method: "POST", body: {} })
      ).json();
      const res = await fetch(
        `${s.url}/connect/oauth2/test-oauth?token=${session.token}&connection_attempt_id=${attempt.id}&code_challenge_method=plain&code_challenge=attacker&pkce=false&scope=admin`,
        { redirect: "manual" },
      );
      expect(res.status).toBe(302);
      const to = new URL(res.headers.get("location")!);
      expect(to.origin).toBe(tp.asUrl);
      expect(to.searchParams.get("code_challenge_method")).toBe("S256");
      expect(to.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(to.searchParams.get("code_challenge")).not.toBe("attacker");
      expect(to.searchParams.get("scope")).toBe("contacts.read");
      expect(to.searchParams.get("redirect_uri")).toBe(`${s.url}/oauth/callback`);
      // And the attempt cannot be started twice.
      const again = await fetch(
        `${s.url}/connect/oauth2/test-oauth?token=${session.token}&connection_attempt_id=${attempt.id}`,
        {
          redirect: "manual",
        },
      );
      expect(again.status).toBe(302);
    });

    it("refuses another project's account in x-account-id, and another session's attempt", async () => {
      const { accountId, attemptId } = await connectOAuth(s, "test-oauth");
      const other = await s.ctx.tenancy.createProject({ name: "Other" });
      const key = await s.ctx.tenancy.createApiKey(other.project_id);
      const res = await proxy(accountId, { path: "/contacts" }, key.api_key);
      expect(res.status).toBe(404);
      const otherSession = await createSession(s, { origin_owner_id: "sec-4", origin_owner_name: "Sec" });
      expect((await hubFetch(s, otherSession.token, `/connection_attempts/${attemptId}`)).status).toBe(404);
    });

    it("records the provider's error on the attempt when the user denies access", async () => {
      const session = await createSession(s, { origin_owner_id: "sec-5", origin_owner_name: "Sec" });
      const attempt = await (
        await hubFetch(s, session.token, "/connection_attempts", { method: "POST", body: {} })
      ).json();
      const start = await fetch(
        `${s.url}/connect/oauth2/test-oauth?token=${session.token}&connection_attempt_id=${attempt.id}`,
        {
          redirect: "manual",
        },
      );
      const state = new URL(start.headers.get("location")!).searchParams.get("state")!;
      const cb = await fetch(
        `${s.url}/oauth/callback?error=access_denied&error_description=User+said+no&state=${state}`,
        { redirect: "manual" },
      );
      expect(cb.status).toBe(302);
      const view = await (await hubFetch(s, session.token, `/connection_attempts/${attempt.id}`)).json();
      expect(view).toMatchObject({
        status: "error",
        account: null,
        error: { code: "access_denied", description: "User said no" },
      });
    });
  });
}
