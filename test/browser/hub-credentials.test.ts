import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { sdkFor } from "../helpers/sdk.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The real `@stackone/hub` web component, served by Portico, in Debian Chromium: an end user opens
 * the auth link and links Sandbox HRIS with an API key.
 */
describe.skipIf(!browserAvailable())("hub in a real browser: credentials", () => {
  let s: TestServer;
  let browser: Browser;
  beforeAll(async () => {
    s = await startTestServer("sqlite");
    await s.ctx.integrations.enable(s.projectId, "bamboohr");
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it("links Sandbox HRIS: a wrong key shows the provider's error, the right one connects", async () => {
    const so = sdkFor(s.url, s.apiKey);
    const session = (
      await so.connectSessions.createConnectSession({
        originOwnerId: "browser-1",
        originOwnerName: "Browser Co",
        label: "Browser HRIS",
      })
    ).connectSessionTokenAuthLink!;
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    const external = guardOffline(page);
    await page.goto(session.authLinkUrl);
    await page.getByText("Sandbox HRIS").click();
    await page.getByText("Use the demo key").waitFor();
    await shot(page, "hub-1-form");

    const key = page.locator("input").first();
    await key.fill("not-the-demo-key");
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.getByText("Sandbox HRIS refused these credentials").waitFor();
    await shot(page, "hub-2-refused");
    expect((await so.accounts.listLinkedAccounts({ originOwnerId: "browser-1" })).classes).toEqual([]);

    await key.fill(SANDBOX_HRIS_KEY);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.getByText("Connection Successful").waitFor();
    await shot(page, "hub-3-connected");
    expect(external).toEqual([]);

    const accounts = (await so.accounts.listLinkedAccounts({ originOwnerId: "browser-1" })).classes!;
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({
      provider: "sandbox-hris",
      label: "Browser HRIS",
      originOwnerName: "Browser Co",
      status: "active",
    });
    await page.close();
  });

  it("opens in edit mode for a session with account_id and updates that account", async () => {
    const so = sdkFor(s.url, s.apiKey);
    const [account] = (await so.accounts.listLinkedAccounts({ originOwnerId: "browser-1" })).classes!;
    const edit = (
      await so.connectSessions.createConnectSession({
        originOwnerId: "browser-1",
        originOwnerName: "Browser Co",
        accountId: account!.id,
        label: "Renamed in edit mode",
      })
    ).connectSessionTokenAuthLink!;
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    await page.goto(edit.authLinkUrl);
    await page.getByRole("button", { name: "Edit" }).waitFor();
    await shot(page, "hub-4-edit-mode");
    await expect(page.getByRole("button", { name: "Back" }).count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Edit" }).click();
    await page.locator("input").first().fill(SANDBOX_HRIS_KEY);
    await page.getByRole("button", { name: "Connect", exact: true }).click();
    await page.getByText("Connection Successful").waitFor();
    await shot(page, "hub-5-edited");

    const after = (await so.accounts.listLinkedAccounts({ originOwnerId: "browser-1" })).classes!;
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(account!.id);
    expect(after[0]!.label).toBe("Renamed in edit mode");
    expect(after[0]!.updatedAt.getTime()).toBeGreaterThan(account!.updatedAt.getTime());
    await page.close();
  });

  it("shows only the session's categories", async () => {
    const so = sdkFor(s.url, s.apiKey);
    const hris = (
      await so.connectSessions.createConnectSession({
        originOwnerId: "browser-2",
        originOwnerName: "B2",
        categories: ["hris" as never],
      })
    ).connectSessionTokenAuthLink!;
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    await page.goto(hris.authLinkUrl);
    await page.getByText("BambooHR").waitFor();
    await expect(page.getByText("Sandbox HRIS").count()).resolves.toBe(1);
    await expect(page.getByText("Sandbox ATS").count()).resolves.toBe(0);
    await shot(page, "hub-6-categories");
    await page.close();
  });

  it("shows a friendly page for an expired link", async () => {
    const page = await browser.newPage();
    await page.goto(`${s.url}/embedded/integrations?token=cst_unknown`);
    await page.getByText("This link is invalid or has expired").waitFor();
    await shot(page, "hub-7-expired");
    await page.close();
  });
});
