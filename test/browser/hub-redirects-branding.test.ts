import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The hosted page after linking and in the project's brand (issue 21), in Debian Chromium: a link
 * with a success URL lands the browser on that URL with the account id and provider; the cancel
 * link and an expired link go to the error URL with a reason; the page shows the project's name,
 * logo and accent colour.
 */
const LOGO = `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" onload="alert(1)">
<script>alert(1)</script><rect width="64" height="64" rx="14" fill="#0A7C5A"/>
<circle cx="32" cy="32" r="16" fill="#FFFFFF"/><a href="javascript:alert(1)"><path d="M0 0h8v8z"/></a></svg>`;

for (const dialect of DIALECTS) {
  describe.skipIf(!browserAvailable() || !dialectAvailable(dialect))(
    `hosted page redirects and branding in a real browser on ${dialect}`,
    () => {
      let s: TestServer;
      let browser: Browser;
      let app: http.Server;
      let appOrigin: string;
      const seen: string[] = [];

      beforeAll(async () => {
        s = await startTestServer(dialect);
        // The customer's app: it only says where the browser landed.
        app = http.createServer((req, res) => {
          seen.push(req.url ?? "");
          res
            .writeHead(200, { "content-type": "text/html" })
            .end("<!doctype html><title>App</title><h1>Back in the app</h1>");
        });
        await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
        appOrigin = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
        await s.ctx.projectSettings.update(s.projectId, {
          display_name: "Acme Payroll",
          accent_color: "#0a7c5a",
          support_url: "mailto:help@acme.test",
          allowed_origins: [appOrigin],
          error_url: `${appOrigin}/linking-failed`,
        });
        await s.ctx.projectSettings.setLogo(s.projectId, Buffer.from(LOGO));
        browser = await launchBrowser();
      });
      afterAll(async () => {
        await browser?.close();
        await s?.close();
        await new Promise((r) => app?.close(r));
      });

      it("a hosted link with a success URL lands the browser on it with the account id", async () => {
        const session = await createSession(s, {
          origin_owner_id: "redirect-1",
          origin_owner_name: "Redirect Co",
          provider: "sandbox-hris",
          portico: { success_url: `${appOrigin}/linked?from=portico` },
        });
        const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
        const external = guardOffline(page);
        await page.goto(session.auth_link_url);
        await page.getByText("Use the demo key").waitFor();
        await page.locator("input").first().fill(SANDBOX_HRIS_KEY);
        await page.locator("input").first().blur();
        await shot(page, `hub-branded-form-${dialect}`);
        // The hub's theme wears the accent: its Connect button is the project's colour.
        const connect = page.getByRole("button", { name: "Connect", exact: true });
        expect(await connect.evaluate((b) => getComputedStyle(b).backgroundColor)).toBe("rgb(10, 124, 90)");
        await page.getByRole("button", { name: "Connect", exact: true }).click();
        await page.waitForURL((u) => u.origin === appOrigin, { timeout: 15_000 });
        const landed = new URL(page.url());
        expect(landed.pathname).toBe("/linked");
        expect(landed.searchParams.get("from")).toBe("portico");
        expect(landed.searchParams.get("provider")).toBe("sandbox-hris");
        const accountId = landed.searchParams.get("account_id")!;
        expect(accountId).toMatch(/^acc_/);
        expect((await s.ctx.accounts.get(s.projectId, accountId)).origin_owner_id).toBe("redirect-1");
        await page.getByText("Back in the app").waitFor();
        expect(external).toEqual([]);
        await page.close();
      });

      it("shows the project's name, logo and accent colour; cancel goes to the error URL with a reason", async () => {
        const session = await createSession(s, { origin_owner_id: "brand-1", origin_owner_name: "Brand Co" });
        const page = await browser.newPage({ viewport: { width: 900, height: 900 } });
        const external = guardOffline(page);
        await page.goto(session.auth_link_url);
        await page.getByText("Sandbox HRIS").waitFor();
        expect(await page.title()).toBe("Connect to Acme Payroll");
        expect(await page.locator(".brand-name").textContent()).toBe("Acme Payroll");
        const logo = page.locator("img.brand-logo");
        await expect
          .poll(() => logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
          .toBeGreaterThan(0);
        expect(await logo.getAttribute("alt")).toBe("Acme Payroll logo");
        const accent = await page.locator(".brand-name").evaluate((el) => getComputedStyle(el).color);
        expect(accent).toBe("rgb(10, 124, 90)");
        expect(await page.getByRole("link", { name: /Contact Acme Payroll/ }).getAttribute("href")).toBe(
          "mailto:help@acme.test",
        );
        await shot(page, `hub-branded-${dialect}`);
        await page.getByRole("link", { name: "Cancel and go back" }).click();
        await page.waitForURL((u) => u.origin === appOrigin);
        const landed = new URL(page.url());
        expect(landed.pathname).toBe("/linking-failed");
        expect(landed.searchParams.get("reason")).toBe("cancelled");
        expect(external).toEqual([]);
        await page.close();
      });

      it("serves the logo sanitised: no script, no handler, no javascript: link", async () => {
        const view = await s.ctx.projectSettings.get(s.projectId);
        const res = await fetch(view.logo_url!);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^image\/svg\+xml/);
        expect(res.headers.get("content-security-policy")).toMatch(/sandbox/);
        const svg = await res.text();
        expect(svg).toContain('<rect width="64" height="64" rx="14" fill="#0A7C5A"/>');
        expect(svg).not.toMatch(/script|onload|javascript|<a[\s>]/i);
      });

      it("an expired link sends the browser to the error URL with reason=session_expired", async () => {
        const session = await createSession(s, { origin_owner_id: "late-1", origin_owner_name: "Late Co" });
        await s.ctx.database.db
          .updateTable("connect_sessions")
          .set({ expires_at: Date.now() - 1000 })
          .where("id", "=", session.id)
          .execute();
        const res = await fetch(session.auth_link_url, { redirect: "manual" });
        expect(res.status).toBe(303);
        const to = new URL(res.headers.get("location")!);
        expect(`${to.origin}${to.pathname}`).toBe(`${appOrigin}/linking-failed`);
        expect(to.searchParams.get("reason")).toBe("session_expired");
        // An unknown token names no project: Portico's own page.
        const unknown = await fetch(`${s.url}/embedded/integrations?token=cst_nope`, { redirect: "manual" });
        expect(unknown.status).toBe(404);
      });

      it("refuses a session redirect URL outside the project's allowed origins, naming the field", async () => {
        const res = await fetch(`${s.url}/connect_sessions`, {
          method: "POST",
          headers: {
            authorization: `Basic ${Buffer.from(`${s.apiKey}:`).toString("base64")}`,
            "content-type": "application/json",
          },
          body: JSON.stringify({
            origin_owner_id: "x",
            origin_owner_name: "X",
            portico: { success_url: "https://evil.test/steal" },
          }),
        });
        expect(res.status).toBe(400);
        expect(((await res.json()) as { message: string }).message).toMatch(
          /^portico\.success_url: https:\/\/evil\.test is not among the project's allowed origins/,
        );
      });
    },
  );
}
