import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { consoleFetch, invite, userCookie } from "../helpers/console.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { type Idp, SSO_CLIENT, ssoBrowser, startIdp } from "../helpers/oidc-idp.js";
import { freePort } from "../helpers/processes.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

async function withSso(
  dialect: "sqlite" | "postgres",
  env: Record<string, string> = {},
  idpOpts: { emailInIdToken?: boolean } = {},
) {
  const port = await freePort();
  const idp = await startIdp(`http://127.0.0.1:${port}/console/sso/callback`, idpOpts);
  const s = await startTestServer(dialect, {
    PORTICO_PORT: String(port),
    PORTICO_CONSOLE_OIDC_ISSUER: idp.issuer,
    PORTICO_CONSOLE_OIDC_CLIENT_ID: SSO_CLIENT.id,
    PORTICO_CONSOLE_OIDC_CLIENT_SECRET: SSO_CLIENT.secret,
    PORTICO_CONSOLE_OIDC_ALLOWED_DOMAINS: "acme.example, Acme.Dev",
    ...env,
  });
  return { s, idp };
}

/** Single sign-on to the console through a real OpenID provider (oidc-provider) on 127.0.0.1. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`console single sign-on on ${dialect}`, () => {
    let s: TestServer;
    let idp: Idp;
    beforeAll(async () => {
      ({ s, idp } = await withSso(dialect));
    });
    afterAll(async () => {
      await s?.close();
      await idp?.close();
    });

    it("signs in a verified email of an allowed domain with the default role, with PKCE, state and nonce", async () => {
      idp.next = { sub: "ada", email: "Ada@Acme.example", email_verified: true };
      const result = await ssoBrowser()(`${s.url}/console/sso`);
      expect(result.status, result.body).toBe(200);
      expect(result.body).toContain('<meta http-equiv="refresh" content="0;url=/console/">');
      expect(result.cookie).toMatch(/^portico_console=pcs_/);
      const me = await (await consoleFetch(s, result.cookie!, "GET", "/me")).json();
      expect(me).toMatchObject({
        email: "ada@acme.example",
        role: "viewer",
        method: "sso",
        organization_id: s.organizationId,
      });
      const sent = idp.authorize.at(-1)!;
      expect(sent.get("code_challenge_method")).toBe("S256");
      expect(sent.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(sent.get("state")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(sent.get("nonce")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
      expect(sent.get("redirect_uri")).toBe(`${s.config.publicUrl}/console/sso/callback`);
      expect(sent.get("scope")).toBe("openid email profile");

      const users = await s.ctx.consoleUsers.list(s.organizationId);
      expect(users).toEqual([
        expect.objectContaining({
          email: "ada@acme.example",
          role: "viewer",
          status: "active",
          created_by: "single sign-on",
        }),
      ]);
      const audit = await s.ctx.history.listAudit({ organizationId: s.organizationId }, { limit: 10 });
      expect(audit.data.map((e) => [e.action, e.actor.name])).toEqual(
        expect.arrayContaining([
          ["console.user_joined", "ada@acme.example"],
          ["console.signed_in", "ada@acme.example"],
        ]),
      );
      // A second sign-in is the same user.
      const again = await ssoBrowser()(`${s.url}/console/sso`);
      expect(again.cookie).toMatch(/^portico_console=pcs_/);
      expect(await s.ctx.consoleUsers.list(s.organizationId)).toHaveLength(1);
    });

    it("refuses an email of another domain with a clear page, and signs nobody in", async () => {
      idp.next = { sub: "eve", email: "eve@evil.example", email_verified: true };
      const result = await ssoBrowser()(`${s.url}/console/sso`);
      expect(result.status).toBe(403);
      expect(result.cookie).toBeNull();
      expect(result.body).toContain("<h1>You are not signed in</h1>");
      expect(result.body).toContain("eve@evil.example is not allowed to sign in to this Portico console");
      expect(result.body).toContain("Ask an owner of this console for an invitation.");
      expect((await s.ctx.consoleUsers.list()).map((u) => u.email)).not.toContain("eve@evil.example");
    });

    it("gives an invited email its invited role, whatever its domain", async () => {
      await invite(s, "bob@partner.example", "admin");
      idp.next = { sub: "bob", email: "bob@partner.example", email_verified: true };
      const result = await ssoBrowser()(`${s.url}/console/sso`);
      expect(result.status, result.body).toBe(200);
      expect(await (await consoleFetch(s, result.cookie!, "GET", "/me")).json()).toMatchObject({
        email: "bob@partner.example",
        role: "admin",
        method: "sso",
      });
    });

    it("refuses an unverified email, and one an owner removed", async () => {
      idp.next = { sub: "unverified", email: "carl@acme.example", email_verified: false };
      const unverified = await ssoBrowser()(`${s.url}/console/sso`);
      expect(unverified.status).toBe(403);
      expect(unverified.body).toContain("did not confirm an email address");
      expect(unverified.cookie).toBeNull();

      const owner = await userCookie(s, "owner@acme.example", "owner");
      idp.next = { sub: "dan", email: "dan@acme.example", email_verified: true };
      const first = await ssoBrowser()(`${s.url}/console/sso`);
      expect(first.cookie).not.toBeNull();
      const dan = (await s.ctx.consoleUsers.list(s.organizationId)).find(
        (u) => u.email === "dan@acme.example",
      )!;
      expect(
        (await consoleFetch(s, owner, "DELETE", `/organizations/${s.organizationId}/users/${dan.id}`)).status,
      ).toBe(200);
      expect((await consoleFetch(s, first.cookie!, "GET", "/me")).status).toBe(401);
      const back = await ssoBrowser()(`${s.url}/console/sso`);
      expect(back.status).toBe(403);
      expect(back.body).toContain("dan@acme.example was removed from this Portico console by an owner");
    });

    it("refuses a callback without the browser's attempt, with a changed state, or that the provider refused", async () => {
      idp.next = { sub: "ada", email: "ada@acme.example", email_verified: true };
      const forged = await fetch(`${s.url}/console/sso/callback?code=abc&state=xyz`);
      expect(forged.status).toBe(400);
      expect(await forged.text()).toContain("started in another browser");

      const tampered = await ssoBrowser()(`${s.url}/console/sso`, {
        tamper: (u) => u.searchParams.set("state", "not-the-state"),
      });
      expect(tampered.status).toBe(400);
      expect(tampered.body).toContain("does not belong to the sign-in this browser started");
      expect(tampered.cookie).toBeNull();
      expect(tampered.body).toContain("You are not signed in");

      idp.next = "deny";
      const denied = await ssoBrowser()(`${s.url}/console/sso`);
      expect(denied.status).toBe(403);
      expect(denied.body).toContain(
        "The identity provider did not sign you in: the user cancelled the sign-in.",
      );
      expect(denied.cookie).toBeNull();
    });

    it("offers Sign in with SSO on the sign-in page and shows the redirect URI in the settings", async () => {
      const page = await (await fetch(`${s.url}/console/sign-in`)).text();
      expect(page).toContain('<a class="button primary" href="/console/sso">Sign in with SSO</a>');
      const owner = await userCookie(s, "settings@acme.example", "viewer");
      const settings = await (await consoleFetch(s, owner, "GET", "/settings")).json();
      expect(settings.sso).toEqual({
        issuer: idp.issuer,
        client_id: SSO_CLIENT.id,
        redirect_uri: `${s.config.publicUrl}/console/sso/callback`,
        allowed_domains: ["acme.example", "acme.dev"],
        default_role: "viewer",
      });
      expect(JSON.stringify(settings)).not.toContain(SSO_CLIENT.secret);
    });
  });
}

describe("console single sign-on settings", () => {
  it("reads the email from userinfo when the ID token leaves it out, and applies the default role", async () => {
    const { s, idp } = await withSso(
      "sqlite",
      { PORTICO_CONSOLE_OIDC_DEFAULT_ROLE: "admin" },
      { emailInIdToken: false },
    );
    try {
      idp.next = { sub: "ui", email: "ui@acme.dev", email_verified: true };
      const result = await ssoBrowser()(`${s.url}/console/sso`);
      expect(result.status, result.body).toBe(200);
      expect(await (await consoleFetch(s, result.cookie!, "GET", "/me")).json()).toMatchObject({
        email: "ui@acme.dev",
        role: "admin",
      });
    } finally {
      await s.close();
      await idp.close();
    }
  });

  it("without it, there is no SSO button and /console/sso leads to the sign-in page", async () => {
    const s = await startTestServer("sqlite");
    try {
      expect(await (await fetch(`${s.url}/console/sign-in`)).text()).not.toContain("Sign in with SSO");
      const res = await fetch(`${s.url}/console/sso`, { redirect: "manual" });
      expect(res.headers.get("location")).toBe("/console/sign-in");
    } finally {
      await s.close();
    }
  });

  it("accepts an http issuer only on a loopback address, with PORTICO_ALLOW_PRIVATE_NETWORKS", () => {
    const base = {
      PORTICO_CONSOLE_OIDC_CLIENT_ID: "c",
      PORTICO_CONSOLE_OIDC_CLIENT_SECRET: "s",
    };
    expect(
      loadConfig({ ...base, PORTICO_CONSOLE_OIDC_ISSUER: "https://login.example.com/realms/acme" })
        .consoleOidc,
    ).toMatchObject({
      issuer: "https://login.example.com/realms/acme",
      defaultRole: "viewer",
      allowedDomains: [],
    });
    expect(() => loadConfig({ ...base, PORTICO_CONSOLE_OIDC_ISSUER: "http://127.0.0.1:9000" })).toThrow(
      /PORTICO_CONSOLE_OIDC_ISSUER: must be https \(http only on a loopback address, with PORTICO_ALLOW_PRIVATE_NETWORKS=true\)/,
    );
    expect(
      loadConfig({
        ...base,
        PORTICO_CONSOLE_OIDC_ISSUER: "http://127.0.0.1:9000",
        PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
      }).consoleOidc?.issuer,
    ).toBe("http://127.0.0.1:9000");
    expect(() =>
      loadConfig({
        ...base,
        PORTICO_CONSOLE_OIDC_ISSUER: "http://idp.internal:9000",
        PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
      }),
    ).toThrow(/must be https/);
    expect(() => loadConfig({ PORTICO_CONSOLE_OIDC_ISSUER: "https://login.example.com" })).toThrow(
      /PORTICO_CONSOLE_OIDC_CLIENT_ID: is required with PORTICO_CONSOLE_OIDC_ISSUER/,
    );
    expect(() => loadConfig({ PORTICO_CONSOLE_OIDC_CLIENT_ID: "c" })).toThrow(
      /PORTICO_CONSOLE_OIDC_CLIENT_ID: needs PORTICO_CONSOLE_OIDC_ISSUER/,
    );
    expect(() =>
      loadConfig({
        ...base,
        PORTICO_CONSOLE_OIDC_ISSUER: "https://login.example.com",
        PORTICO_CONSOLE_OIDC_ALLOWED_DOMAINS: "acme.example,@bad",
        PORTICO_CONSOLE_OIDC_DEFAULT_ROLE: "root",
      }),
    ).toThrow(
      /PORTICO_CONSOLE_OIDC_ALLOWED_DOMAINS: [\s\S]*PORTICO_CONSOLE_OIDC_DEFAULT_ROLE: must be viewer, admin or owner/,
    );
  });
});
