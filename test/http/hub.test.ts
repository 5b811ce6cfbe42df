import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, hubFetch, linkSandboxHris } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/** The hub API and hosted pages as the web component and a browser see them. */
describe("hub API and hosted pages", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer("sqlite");
    await s.ctx.integrations.enable(s.projectId, "bamboohr");
  });
  afterAll(() => s?.close());

  it("answers preflights and errors with CORS headers", async () => {
    const pre = await fetch(`${s.url}/hub/connectors`, {
      method: "OPTIONS",
      headers: {
        origin: "https://app.customer.test",
        "access-control-request-method": "GET",
        "access-control-request-headers": "content-type,x-hub-session-token,x-hub-version",
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-methods")).toMatch(/PATCH/);
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/x-hub-session-token/);

    const denied = await hubFetch(s, "cst_nope", "/connectors", { origin: "https://app.customer.test" });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe("*");
    const body = await denied.json();
    expect(body.statusCode).toBe(401);
    expect(typeof body.provider_response).toBe("string");
  });

  it("lists only integrations active on the project and allowed by the session", async () => {
    const all = await createSession(s, { origin_owner_id: "h1", origin_owner_name: "H" });
    const list = await (await hubFetch(s, all.token, "/connectors")).json();
    expect(list.integrations.map((i: { provider: string }) => i.provider).sort()).toEqual([
      "bamboohr",
      "sandbox-ats",
      "sandbox-crm",
      "sandbox-hris",
    ]);
    for (const i of list.integrations) {
      expect(i).toMatchObject({ integration_id: i.provider, active: true });
      expect(typeof i.type).toBe("string");
      expect(i.logo_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/assets\/logos\/.+\.svg$/);
      expect((await fetch(i.logo_url)).headers.get("content-type")).toBe("image/svg+xml");
    }
    expect(list.external_trigger_token).toMatch(/^[0-9a-f-]{36}$/);

    const hris = await createSession(s, {
      origin_owner_id: "h1",
      origin_owner_name: "H",
      categories: ["hris"],
    });
    const only = await (await hubFetch(s, hris.token, "/connectors")).json();
    expect(only.integrations.map((i: { provider: string }) => i.provider).sort()).toEqual([
      "bamboohr",
      "sandbox-hris",
    ]);
    expect((await hubFetch(s, hris.token, "/connectors/sandbox-ats")).status).toBe(404);

    const one = await createSession(s, {
      origin_owner_id: "h1",
      origin_owner_name: "H",
      provider: "sandbox-ats",
    });
    expect((await (await hubFetch(s, one.token, "/connectors")).json()).integrations).toHaveLength(1);

    await s.ctx.integrations.disable(s.projectId, "bamboohr");
    expect((await (await hubFetch(s, all.token, "/connectors")).json()).integrations).toHaveLength(3);
    await s.ctx.integrations.enable(s.projectId, "bamboohr");
  });

  it("describes a connector in the hub's Falcon form with an icon", async () => {
    const session = await createSession(s, { origin_owner_id: "h2", origin_owner_name: "H" });
    const { config } = await (await hubFetch(s, session.token, "/connectors/bamboohr")).json();
    expect(config).toMatchObject({ key: "bamboohr", name: "BambooHR", type: "custom" });
    expect(config.assets.icon).toMatch(/bamboohr\.svg$/);
    expect(config.configFields.map((f: { key: string }) => f.key)).toEqual(["subdomain", "api_key"]);
    expect(config.configFields[0]).toMatchObject({ secret: false, validation: { type: "html-pattern" } });
  });

  it("refuses bad submissions with messages the hub can show", async () => {
    const session = await createSession(s, { origin_owner_id: "h3", origin_owner_name: "H" });
    const missing = await hubFetch(s, session.token, "/accounts", {
      method: "POST",
      body: { integration_id: "bamboohr", credentials: { subdomain: "Not Valid!" } },
    });
    expect(missing.status).toBe(400);
    const body = await missing.json();
    expect(body.message).toMatch(/credentials\.subdomain: Use letters, digits and dashes only/);
    expect(body.message).toMatch(/credentials\.api_key: API key is required/);
    expect(typeof body.provider_response).toBe("string");
    const unknown = await hubFetch(s, session.token, "/accounts", {
      method: "POST",
      body: { integration_id: "salesforce-nope", credentials: {} },
    });
    expect(unknown.status).toBe(404);
  });

  it("answers 502 when the provider cannot be reached, and writes nothing", async () => {
    const session = await createSession(s, { origin_owner_id: "h4", origin_owner_name: "H" });
    // bamboohr's verification goes to api.bamboohr.com: this machine reaches no such host.
    const res = await hubFetch(s, session.token, "/accounts", {
      method: "POST",
      body: { integration_id: "bamboohr", credentials: { subdomain: "acme", api_key: "k" } },
    });
    expect(res.status).toBe(502);
    expect((await res.json()).message).toMatch(/BambooHR could not be reached/);
    expect(await s.ctx.accounts.list(s.projectId, { origin_owner_id: "h4" })).toEqual([]);
  });

  it("renders the hosted auth link with the pinned hub, and a friendly page for a dead token", async () => {
    const session = await createSession(s, { origin_owner_id: "h5", origin_owner_name: "H" });
    const page = await fetch(session.auth_link_url);
    expect(page.status).toBe(200);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain(
      `<stackone-hub token="${session.token}" base-url="${s.config.publicUrl}" app-url="${s.config.publicUrl}"`,
    );
    const bundle = await fetch(`${s.url}/embedded/assets/hub.js`);
    expect(bundle.headers.get("content-type")).toBe("application/javascript; charset=utf-8");
    expect(await bundle.text()).toContain('"1.11.4"');

    const dead = await fetch(`${s.url}/embedded/integrations?token=cst_expired`);
    expect(dead.status).toBe(404);
    expect(await dead.text()).toContain("This link is invalid or has expired");
    const none = await fetch(`${s.url}/embedded/integrations`);
    expect(await none.text()).toContain("This link is invalid or has expired");

    const cb = await fetch(`${s.url}/embedded/accounts/callback`);
    expect(await cb.text()).toContain("/embedded/assets/callback.js");
  });

  it("never returns a secret: the edit view carries placeholders only", async () => {
    const session = await createSession(s, { origin_owner_id: "h6", origin_owner_name: "H" });
    const id = await linkSandboxHris(s, session.token);
    const view = await (await hubFetch(s, session.token, `/accounts/${id}`)).text();
    expect(view).not.toContain("sandbox-demo-key");
    const api = await fetch(`${s.url}/accounts/${id}`, {
      headers: { authorization: `Basic ${Buffer.from(`${s.apiKey}:`).toString("base64")}` },
    });
    expect(await api.text()).not.toContain("sandbox-demo-key");
  });
});
