import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTACTS } from "../../src/sandbox/data.js";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { sdkFor } from "../helpers/sdk.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The real `@stackone/hub` web component in Debian Chromium drives Sandbox CRM's OAuth popup
 * (hub-api.md section 3): Connect opens the popup on Portico's /connect/oauth2 start URL, which
 * redirects to the sandbox's consent page; the hub polls the connection attempt until it is
 * authenticated. The linked account then works through the proxy.
 */
describe.skipIf(!browserAvailable())("hub in a real browser: OAuth popup", () => {
  let s: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    s = await startTestServer("sqlite");
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it("links Sandbox CRM through the consent popup (deny, then allow) and proxies its contacts", async () => {
    const so = sdkFor(s.url, s.apiKey);
    const session = (
      await so.connectSessions.createConnectSession({
        originOwnerId: "oauth-browser-1",
        originOwnerName: "OAuth Browser Co",
        provider: "sandbox-crm",
        label: "Browser CRM",
      })
    ).connectSessionTokenAuthLink!;
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    const external = guardOffline(page);
    await page.goto(session.authLinkUrl);
    // `provider` makes the hub open Sandbox CRM directly, at its OAuth step.
    await page.getByText('Press "Connect" below to authenticate').waitFor();
    await expect(page.getByText("Sandbox CRM").count()).resolves.toBeGreaterThan(0);
    await shot(page, "hub-oauth-1-start");
    const connect = page.getByRole("button", { name: "Connect", exact: true });

    // First the user says no: the hub shows the provider's reason and nothing is linked.
    const [denyPopup] = await Promise.all([page.waitForEvent("popup"), connect.click()]);
    const denyExternal = guardOffline(denyPopup);
    await denyPopup.getByRole("button", { name: "Deny" }).waitFor();
    expect(new URL(denyPopup.url()).pathname).toBe("/sandbox/oauth/authorize");
    await denyPopup.getByRole("button", { name: "Deny" }).click();
    await page.getByText("The user denied access").waitFor({ timeout: 15_000 });
    await shot(page, "hub-oauth-2-denied");
    expect(denyExternal).toEqual([]);
    expect((await so.accounts.listLinkedAccounts({ originOwnerId: "oauth-browser-1" })).classes).toEqual([]);

    // Then yes: consent page, popup back through Portico's callback, hub polls to success.
    const [popup] = await Promise.all([page.waitForEvent("popup"), connect.click()]);
    const popupExternal = guardOffline(popup);
    const allow = popup.getByRole("button", { name: "Allow" });
    await allow.waitFor();
    const consent = new URL(popup.url());
    expect(consent.origin).toBe(s.url);
    expect(consent.pathname).toBe("/sandbox/oauth/authorize");
    expect(consent.searchParams.get("code_challenge_method")).toBe("S256");
    expect(consent.searchParams.get("redirect_uri")).toBe(`${s.url}/oauth/callback`);
    await expect(
      popup.getByText("An application wants to read your Sandbox CRM contacts").count(),
    ).resolves.toBe(1);
    await shot(popup, "hub-oauth-3-consent");
    const tokenRequests = s.ctx.sandboxOAuth.tokenRequests.authorization_code;
    await allow.click();
    await page.getByText("Connection Successful").waitFor({ timeout: 15_000 });
    // The hosted page heard the hub's `success` event, with the provider.
    await page.getByText("Sandbox CRM is connected. You can close this window.").waitFor();
    await shot(page, "hub-oauth-4-connected");
    expect(s.ctx.sandboxOAuth.tokenRequests.authorization_code).toBe(tokenRequests + 1);
    expect(external).toEqual([]);
    expect(popupExternal).toEqual([]);

    const accounts = (await so.accounts.listLinkedAccounts({ originOwnerId: "oauth-browser-1" })).classes!;
    expect(accounts).toHaveLength(1);
    const account = accounts[0]!;
    expect(account).toMatchObject({
      provider: "sandbox-crm",
      label: "Browser CRM",
      originOwnerName: "OAuth Browser Co",
      status: "active",
    });
    // The same account as the service layer sees it, and its tokens are stored sealed.
    const [viaService] = await s.ctx.accounts.list(s.projectId, { origin_owner_id: "oauth-browser-1" });
    expect(viaService!.id).toBe(account.id);

    // The account is usable: Sandbox CRM's contacts through the proxy, with the token injected by Portico.
    const res = await fetch(`${s.url}/unified/proxy`, {
      method: "POST",
      headers: {
        authorization: basic(s.apiKey),
        "content-type": "application/json",
        "x-account-id": account.id,
      },
      body: JSON.stringify({ method: "get", path: "/contacts" }),
    });
    expect(res.status).toBe(200);
    const { status, data: body } = (await res.json()) as {
      status: number;
      data: { data: { id: string; name: string }[] };
    };
    expect(status).toBe(200);
    expect(body.data).toHaveLength(6);
    expect(body.data[0]!.id).toBe("con_1");
    expect(body).toEqual({ data: CONTACTS });
    await page.close();
  });
});
