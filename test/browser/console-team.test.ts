import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { invite, signInBrowser } from "../helpers/console.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { linkInHub } from "../helpers/hub-browser.js";
import { type Idp, SSO_CLIENT, startIdp } from "../helpers/oidc-idp.js";
import { freePort } from "../helpers/processes.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

// biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator method, not HTMLElement.innerText
const shown = (locator: Locator) => locator.innerText();

async function loaded(page: Page, heading?: string | RegExp): Promise<void> {
  if (heading) await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  await page.locator(".loading").waitFor({ state: "detached" });
}

/** Opens an invitation (or sign-in) link in the page and signs in, as its user would. */
async function acceptInvitation(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
}

/**
 * The console for a team, in Debian's Chromium: a viewer who sees and cannot change, an owner who
 * invites, changes roles and removes (whose removal signs the user out at once), single sign-on
 * through a real OpenID provider, and each rough edge a newcomer hit, fixed, at 1280 and 375 px.
 */
describe.skipIf(!browserAvailable())("console for a team in a real browser", () => {
  let s: TestServer;
  let browser: Browser;
  let receiver: Receiver;
  let idp: Idp;
  let timer: NodeJS.Timeout;
  let accountId: string;
  let endpointSecret: string;
  beforeAll(async () => {
    const port = await freePort();
    idp = await startIdp(`http://127.0.0.1:${port}/console/sso/callback`);
    s = await startTestServer("sqlite", {
      PORTICO_PORT: String(port),
      PORTICO_CONSOLE_OIDC_ISSUER: idp.issuer,
      PORTICO_CONSOLE_OIDC_CLIENT_ID: SSO_CLIENT.id,
      PORTICO_CONSOLE_OIDC_CLIENT_SECRET: SSO_CLIENT.secret,
      PORTICO_CONSOLE_OIDC_ALLOWED_DOMAINS: "acme.example",
    });
    receiver = await startReceiver();
    timer = setInterval(() => void s.ctx.webhookWorker.tick().catch(() => {}), 50);
    browser = await launchBrowser();
    accountId = await linkSandboxHris(
      s,
      (await createSession(s, { origin_owner_id: "team-1", origin_owner_name: "Team Co" })).token,
    );
    endpointSecret = (await s.ctx.webhooks.add(s.projectId, { url: receiver.url })).secret;
  });
  afterAll(async () => {
    clearInterval(timer);
    await browser?.close();
    await s?.ctx.webhookWorker.drain();
    await s?.close();
    await receiver?.close();
    await idp?.close();
  });

  const newPage = async (width = 1280) => {
    const page = await browser.newPage({ viewport: { width, height: width < 600 ? 812 : 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    return { page, errors, external: guardOffline(page) };
  };
  const go = async (page: Page, path: string, heading: string | RegExp) => {
    await page.goto(`${s.url}/console/projects/${s.projectId}${path}`);
    await loaded(page, heading);
  };

  it("shows a viewer everything and offers them no change", async () => {
    for (const width of [1280, 375]) {
      const { page, errors, external } = await newPage(width);
      await acceptInvitation(page, await invite(s, "vera@acme.example", "viewer"));
      const header = page.locator("header.top");
      await expect(shown(header)).resolves.toMatch(/vera@acme\.example\s*viewer/);
      await expect(
        page.evaluate(() => fetch("/console/api/me").then((r) => r.json())),
      ).resolves.toMatchObject({
        email: "vera@acme.example",
        role: "viewer",
      });

      await go(page, "/api-keys", "API keys");
      await page.getByRole("note").getByText("You are a viewer: you can look").waitFor();
      expect(await page.getByRole("button", { name: "Create key" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Revoke/ }).count()).toBe(0);
      await shot(page, `team-${width}-viewer-api-keys`, { fullPage: true });

      await go(page, "/webhooks", "Webhooks");
      expect(await page.getByRole("button", { name: "Add endpoint" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Send a test event/ }).count()).toBe(0);
      expect(await page.getByRole("link", { name: /^Deliveries of/ }).count()).toBe(1);

      await go(page, "/integrations", "Integrations");
      await page.getByLabel("Search").fill("sandbox hris");
      await expect(
        page.getByRole("switch", { name: "Offer Sandbox HRIS to end users" }).isDisabled(),
      ).resolves.toBe(true);

      await go(page, "/connect", "Connect an account");
      await expect(page.getByRole("button", { name: "Create link" }).isDisabled()).resolves.toBe(true);

      await go(page, `/accounts/${accountId}`, "Team Co · Sandbox HRIS");
      expect(await page.getByRole("button", { name: "Delete account" }).count()).toBe(0);
      expect(await page.getByRole("heading", { name: "Try a call" }).count()).toBe(0);
      await page
        .getByRole("note")
        .getByText(/re-connecting, editing, deleting and trying calls need the admin role/)
        .waitFor();
      await shot(page, `team-${width}-viewer-account`, { fullPage: true });

      await go(page, "/users", "Users");
      expect(await page.getByRole("button", { name: "Invite" }).count()).toBe(0);
      expect(await page.getByRole("combobox", { name: /^Role of/ }).count()).toBe(0);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      await page.close();
    }
  });

  it("lets an owner invite, change a role and remove from the Users page; the removed user is signed out at once", async () => {
    const { page, errors } = await newPage();
    await acceptInvitation(page, await invite(s, "olivia@acme.example", "owner"));
    await go(page, "/users", "Users");
    await page.getByLabel("Email").fill("Ivan@Acme.example");
    await page.getByLabel("Role", { exact: true }).selectOption("admin");
    await page.getByRole("button", { name: "Invite" }).click();
    const link = page.getByRole("textbox", { name: "Invitation link" });
    await link.waitFor();
    await page.getByRole("button", { name: "Copy invitation link" }).waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${s.config.publicUrl}/console/sign-in\\?token=pcl_`));
    await shot(page, "team-1280-owner-invited", { fullPage: true });

    // Ivan, in his own browser: the same page and form as a sign-in link.
    const ivan = await newPage(375);
    await ivan.page.goto(url);
    await ivan.page.getByText("You are invited to the console as ivan@acme.example").waitFor();
    await shot(ivan.page, "team-375-invitation");
    await ivan.page.getByRole("button", { name: "Sign in" }).click();
    await loaded(ivan.page, "Overview");
    await expect(shown(ivan.page.locator("header.top"))).resolves.toMatch(/ivan@acme\.example\s*admin/);
    // The link worked once.
    const again = await browser.newPage();
    await again.goto(url);
    await again.getByRole("button", { name: "Sign in" }).click();
    await again.getByText("already used or has expired").waitFor();
    await again.close();

    // The owner makes him a viewer: his next page says so.
    await page.reload();
    await loaded(page, "Users");
    await page.getByRole("combobox", { name: "Role of ivan@acme.example" }).selectOption("viewer");
    await page.getByRole("status").filter({ hasText: "ivan@acme.example is now a viewer" }).waitFor();
    await ivan.page.goto(`${s.url}/console/projects/${s.projectId}/api-keys`);
    await loaded(ivan.page, "API keys");
    await expect(shown(ivan.page.locator("header.top"))).resolves.toMatch(/ivan@acme\.example\s*viewer/);
    expect(await ivan.page.getByRole("button", { name: "Create key" }).count()).toBe(0);

    // Every session of the organization, his among them.
    await page
      .getByRole("table", { name: "Sessions of every user" })
      .getByText("ivan@acme.example", { exact: true })
      .waitFor();
    await shot(page, "team-1280-owner-users", { fullPage: true });

    await page.getByRole("button", { name: "Remove ivan@acme.example" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Remove user" }).click();
    await page.getByRole("status").filter({ hasText: "Removed ivan@acme.example" }).waitFor();
    // His very next request is refused: the console sends him to the sign-in page.
    await ivan.page
      .getByRole("navigation", { name: "Console" })
      .getByRole("link", { name: "Accounts" })
      .click();
    await ivan.page.waitForURL(`${s.url}/console/sign-in`);
    await shot(ivan.page, "team-375-removed-signed-out");

    // The owner's own sessions.
    await go(page, "/sessions", "Your sessions");
    await expect(shown(page.getByRole("table", { name: "Your sessions" }))).resolves.toMatch(
      /this browser[\s\S]*Invitation/,
    );
    await shot(page, "team-1280-your-sessions");
    expect(errors).toEqual([]);
    await ivan.page.close();
    await page.close();
  });

  it("signs in with SSO from the sign-in page, through the identity provider and back", async () => {
    for (const width of [1280, 375]) {
      const { page, errors, external } = await newPage(width);
      idp.next = { sub: `sso-${width}`, email: `sso${width}@acme.example`, email_verified: true };
      await page.goto(`${s.url}/console/sign-in`);
      await shot(page, `team-${width}-sign-in-sso`);
      await page.getByRole("link", { name: "Sign in with SSO" }).click();
      // Back from the provider, the SameSite=Strict session cookie is sent: the console opens.
      await loaded(page, "Overview");
      await expect(shown(page.locator("header.top"))).resolves.toMatch(
        new RegExp(`sso${width}@acme\\.example\\s*viewer`),
      );
      await shot(page, `team-${width}-signed-in-sso`);
      await go(page, "/settings", "Settings");
      await expect(page.getByRole("textbox", { name: "Redirect URI" }).inputValue()).resolves.toBe(
        `${s.config.publicUrl}/console/sso/callback`,
      );
      await page.getByRole("button", { name: "Copy redirect URI" }).waitFor();
      await shot(page, `team-${width}-settings`, { fullPage: true });
      expect(errors).toEqual([]);
      // Nothing left 127.0.0.1: the identity provider is on it too.
      expect(external).toEqual([]);
      await page.close();
    }
  });

  it("fixes a newcomer's rough edges, at desktop and phone widths", async () => {
    await s.ctx.integrations.enable(s.projectId, "bamboohr", {});
    const enabled = (await s.ctx.integrations.list(s.projectId)).filter((i) => i.active).map((i) => i.name);
    expect(enabled.length).toBeLessThan(10);
    for (const width of [1280, 375]) {
      const { page, errors, external } = await newPage(width);
      await signInBrowser(page, s);

      // Headline numbers are numbers (tabular figures), not big underlined links.
      await go(page, "", "Overview");
      const stats = page.locator(".stat-value");
      expect(await stats.count()).toBe(3);
      expect(await page.locator("a .stat-value").count()).toBe(0);
      await expect(stats.first().evaluate((el) => getComputedStyle(el).fontVariantNumeric)).resolves.toBe(
        "tabular-nums",
      );
      await shot(page, `edges-${width}-overview-numbers`, { fullPage: true });

      // The accounts filter lists the providers this project offers, not the whole catalog.
      await go(page, "/accounts", "Accounts");
      const options = await page.getByLabel("Provider").locator("option").allTextContents();
      expect(options).toEqual(["Any provider", ...enabled]);
      await shot(page, `edges-${width}-accounts-filter`);

      // Try a call through the proxy from the account's page.
      await go(page, `/accounts/${accountId}`, "Team Co · Sandbox HRIS");
      await page.getByLabel("Path").fill("/employees?per_page=2");
      await page.getByRole("button", { name: "Send" }).click();
      const answer = page.locator(".answer");
      await answer.getByText(/The provider answered\s*200/).waitFor();
      await expect(shown(answer)).resolves.toMatch(/"data"|"first_name"|emp_/);
      await answer.scrollIntoViewIfNeeded();
      await shot(page, `edges-${width}-try-a-call`);

      // Send a test event, then see its payload and headers (never the secret).
      await go(page, "/webhooks", "Webhooks");
      await page.getByRole("button", { name: `Send a test event to ${receiver.url}` }).click();
      await page
        .getByText(`Test event delivered: ${receiver.url} answered 204.`)
        .waitFor({ timeout: 15_000 });
      await shot(page, `edges-${width}-test-event`);
      await page.getByRole("link", { name: "See the delivery" }).click();
      await loaded(page, "webhook.test delivery");
      const headers = await shown(page.getByRole("table", { name: "Headers" }));
      expect(headers).toMatch(/webhook-signature[\s\S]*not shown/);
      expect(headers).toMatch(/webhook-id[\s\S]*msg_/);
      await expect(shown(page.getByRole("region", { name: "Payload JSON" }))).resolves.toMatch(
        /"event": "webhook\.test"/,
      );
      const html = await page.content();
      expect(html).not.toContain(endpointSecret);
      expect(html).not.toMatch(/v1,[A-Za-z0-9+/=]{40,}/);
      await page.getByRole("heading", { name: "Headers" }).scrollIntoViewIfNeeded();
      await shot(page, `edges-${width}-delivery-headers`);
      await page.getByRole("region", { name: "Payload JSON" }).scrollIntoViewIfNeeded();
      await shot(page, `edges-${width}-delivery-payload`);
      const received = receiver.received.find((r) => r.body.includes('"webhook.test"'));
      expect(received).toBeDefined();

      // The audit log in words, naming who did it.
      await go(page, "/logs?tab=audit", "Logs");
      const audit = await shown(page.getByRole("table", { name: "Audit log" }));
      expect(audit).toMatch(/Test event sent[\s\S]*tester/);
      expect(audit).toMatch(/Call tried through the proxy[\s\S]*GET \/employees → the provider answered 200/);
      expect(audit).not.toMatch(/[{}]/);
      await page.getByRole("table", { name: "Audit log" }).scrollIntoViewIfNeeded();
      await shot(page, `edges-${width}-audit-words`);

      // Copy redirect URI, beside the OAuth app settings.
      await go(page, "/integrations", "Integrations");
      await page.getByLabel("Search").fill("hubspot");
      await page.getByText("OAuth app settings").click();
      await page.getByRole("button", { name: "Copy redirect URI" }).scrollIntoViewIfNeeded();
      await shot(page, `edges-${width}-copy-redirect-uri`);

      // Tables on a phone: stacked, each value under its column's name; nothing scrolls sideways.
      await go(page, "/logs", "Logs");
      if (width < 600) {
        const cell = page.locator(".table-wrap td").first();
        await expect(cell.evaluate((el) => getComputedStyle(el).display)).resolves.toBe("block");
      }
      expect(
        await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        ),
      ).toBeLessThanOrEqual(0);
      await page.getByRole("table", { name: "Request log" }).scrollIntoViewIfNeeded();
      await shot(page, `edges-${width}-request-log`);
      expect(errors).toEqual([]);
      expect(external).toEqual([]);
      await page.close();

      // The hosted page's banner: the provider's name, in the hub's font.
      const link = (
        await createSession(s, { origin_owner_id: `banner-${width}`, origin_owner_name: "Banner Co" })
      ).auth_link_url;
      await linkInHub(browser, link, `edges-${width}-hosted-banner`, false, width);
    }
  });
});
