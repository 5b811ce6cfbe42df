import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { axeViolations, signInBrowser } from "../helpers/console.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * Issue 21's console pages in Debian Chromium: an account's connection health and Check now, the
 * Hosted page settings (brand, logo upload, redirects), scoped keys; axe-core in light and dark.
 */
describe.skipIf(!browserAvailable())("console in a real browser: health, hosted page, scoped keys", () => {
  let s: TestServer;
  let browser: Browser;
  let page: Page;
  let accountId: string;
  let dir: string;

  const axe = async (name: string) => {
    for (const scheme of ["light", "dark"] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await axeViolations(page), `${name} (${scheme})`).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: "light" });
  };

  beforeAll(async () => {
    s = await startTestServer("sqlite");
    const session = await createSession(s, { origin_owner_id: "ui-health", origin_owner_name: "UI Health" });
    accountId = await linkSandboxHris(s, session.token);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-ui-logo-"));
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    await signInBrowser(page, s);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("shows an account's health and runs a check", async () => {
    const external = guardOffline(page);
    await page.goto(`${s.url}/console/projects/${s.projectId}/accounts/${accountId}`);
    await page.getByRole("heading", { name: "Connection health" }).waitFor();
    const panel = page.locator("section", { has: page.getByRole("heading", { name: "Connection health" }) });
    await expect.poll(() => panel.getByText("never").count()).toBe(1);
    await page.getByRole("button", { name: "Check now" }).click();
    await panel.getByText("Credentials accepted").waitFor();
    await panel.getByText("HTTP 200").waitFor();
    await shot(page, "console-account-health");
    await axe("account page");
    expect(external).toEqual([]);
  });

  it("sets the hosted page's brand, uploads a logo and sets the redirects", async () => {
    await page.goto(`${s.url}/console/projects/${s.projectId}/hosted-page`);
    await page.getByRole("heading", { level: 1, name: "Hosted page" }).waitFor();
    await page.getByLabel("Display name").fill("Acme Payroll");
    await page.getByLabel("Accent colour").fill("#0A7C5A");
    await page.getByRole("button", { name: "Save brand" }).click();
    await page.getByText("Brand saved").waitFor();
    const logo = path.join(dir, "logo.svg");
    fs.writeFileSync(
      logo,
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8" fill="#0A7C5A"/></svg>',
    );
    await page.getByLabel("SVG or PNG, at most 64 KiB").setInputFiles(logo);
    await page.getByRole("button", { name: "Upload logo" }).click();
    await page.getByRole("img", { name: "The current logo" }).waitFor();
    await page.getByLabel("Allowed origins (one per line)").fill("https://app.acme.example");
    await page.getByLabel("Success URL").fill("https://app.acme.example/linked");
    await page.getByRole("button", { name: "Save redirects" }).click();
    await page.getByText("Redirects saved").waitFor();
    await page.getByLabel("Cancel or error URL").fill("https://elsewhere.example/x");
    await page.getByRole("button", { name: "Save redirects" }).click();
    await page.getByText(/error_url: https:\/\/elsewhere\.example is not among/).waitFor();
    await shot(page, "console-hosted-page");
    await axe("hosted page settings");
    const view = await s.ctx.projectSettings.get(s.projectId);
    expect(view).toMatchObject({
      display_name: "Acme Payroll",
      accent_color: "#0A7C5A",
      success_url: "https://app.acme.example/linked",
    });
    expect(view.logo_url).not.toBeNull();
  });

  it("creates a read key and shows its scope", async () => {
    await page.goto(`${s.url}/console/projects/${s.projectId}/api-keys`);
    await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
    await page.getByLabel("Name (optional)").fill("reader");
    await page.getByLabel("Scope").selectOption("read");
    await page.getByLabel("Expires").selectOption({ label: "30 days" });
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("New key reader").waitFor();
    const row = page.locator("tr", { hasText: "reader" });
    await expect.poll(() => row.locator("td").nth(2).textContent()).toBe("read");
    await axe("API keys page");
  });
});
