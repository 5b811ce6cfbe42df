import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { axeViolations, invite, signInBrowser } from "../helpers/console.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { linkInHub } from "../helpers/hub-browser.js";
import { type Idp, SSO_CLIENT, startIdp } from "../helpers/oidc-idp.js";
import { freePort } from "../helpers/processes.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** The text of an element as rendered (cells apart, lines kept): Playwright's innerText, not the DOM's. */
// biome-ignore lint/performance/useDomNodeTextContent: a Playwright locator method, not HTMLElement.innerText
const shown = (locator: Locator) => locator.innerText();

/** Waits until a console page has drawn itself (its "Loading…" placeholder gone). */
async function loaded(page: Page, heading?: string | RegExp): Promise<void> {
  if (heading) await page.getByRole("heading", { level: 1, name: heading }).waitFor();
  await page.locator(".loading").waitFor({ state: "detached" });
}

/**
 * The operator console in Debian's Chromium: the newcomer's whole journey without CLI or curl
 * (after the sign-in link), every page with axe-core in light and dark, and the keyboard.
 */
describe.skipIf(!browserAvailable())("console in a real browser", () => {
  let s: TestServer;
  let browser: Browser;
  let receiver: Receiver;
  let timer: NodeJS.Timeout;
  let idp: Idp;
  beforeAll(async () => {
    // Single sign-on configured, so the sign-in page offers it (and axe sees it).
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
    // Test servers run no background workers: deliver webhooks as a node would.
    timer = setInterval(() => void s.ctx.webhookWorker.tick().catch(() => {}), 50);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    clearInterval(timer);
    await browser?.close();
    await s?.ctx.webhookWorker.drain();
    await s?.close();
    await receiver?.close();
    await idp?.close();
  });

  const newPage = async (colorScheme: "light" | "dark" = "light", width = 1280) => {
    const page = await browser.newPage({ viewport: { width, height: width < 600 ? 812 : 900 }, colorScheme });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    return { page, errors, external: guardOffline(page) };
  };

  it("signs in, creates a link, sees the account linked in the hub with its timeline and a proxied call, and re-connects it", async () => {
    const { page, errors, external } = await newPage();
    await signInBrowser(page, s);
    await loaded(page, "Overview");
    await shot(page, "console-01-overview-empty");

    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Connect" }).click();
    await loaded(page, "Connect an account");
    await page.getByLabel("Owner id").fill("flow-1");
    await page.getByLabel("Owner name").fill("Flow Inc");
    await page.getByRole("button", { name: "Create link" }).click();
    const linkInput = page.getByLabel("Auth link");
    await linkInput.waitFor();
    await shot(page, "console-02-connect-link");
    const authLink = await linkInput.inputValue();
    expect(authLink).toMatch(new RegExp(`^${s.config.publicUrl}/embedded/integrations\\?token=cst_`));
    expect(await page.getByRole("link", { name: "Open link" }).getAttribute("href")).toBe(authLink);

    await linkInHub(browser, authLink, "console-03-hub-linked");

    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Accounts" }).click();
    await loaded(page, "Accounts");
    await page.getByLabel("Search").fill("flow");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByRole("link", { name: /Flow Inc/ }).click();
    await loaded(page, "Flow Inc · Sandbox HRIS");
    await expect(shown(page.getByRole("region", { name: "Timeline" }))).resolves.toMatch(
      /Linked by end user Flow Inc/,
    );
    const accountId = (await shown(page.locator("dl.fields code").first())).trim();
    expect(accountId).toMatch(/^acc_/);

    const proxied = await fetch(`${s.url}/unified/proxy`, {
      method: "POST",
      headers: {
        authorization: basic(s.apiKey),
        "content-type": "application/json",
        "x-account-id": accountId,
      },
      body: JSON.stringify({ method: "get", path: "/employees?per_page=1" }),
    });
    expect(proxied.status).toBe(200);
    await s.ctx.history.flush();
    await page.reload();
    await loaded(page, "Flow Inc · Sandbox HRIS");
    const calls = page.getByRole("region", { name: "Recent proxied calls" });
    await expect(shown(calls)).resolves.toMatch(/GET \/employees\s+200/);
    await expect(shown(calls)).resolves.not.toMatch(/per_page/);
    await shot(page, "console-04-account");

    await page.getByRole("button", { name: "Create a re-connect link" }).click();
    const reconnect = page.getByLabel("Re-connect link");
    await reconnect.waitFor();
    const reconnectUrl = await reconnect.inputValue();
    await shot(page, "console-05-reconnect-link");
    await linkInHub(browser, reconnectUrl, "console-06-hub-reconnected", true);
    await page.reload();
    await loaded(page, "Flow Inc · Sandbox HRIS");
    await expect(shown(page.getByRole("region", { name: "Timeline" }))).resolves.toMatch(
      /Re-connected by end user Flow Inc/,
    );
    await shot(page, "console-07-account-reconnected");
    const accounts = await s.ctx.accounts.list(s.projectId, { origin_owner_id: "flow-1" });
    expect(accounts.map((a) => a.id)).toEqual([accountId]);
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });

  it("enables an integration, adds a webhook endpoint and sees its deliveries, edits and deletes an account", async () => {
    const { page, errors, external } = await newPage();
    await signInBrowser(page, s);
    const nav = page.getByRole("navigation", { name: "Console" });

    await nav.getByRole("link", { name: "Integrations" }).click();
    await loaded(page, "Integrations");
    await page.getByLabel("Search").fill("bamboo");
    await page.getByRole("switch", { name: "Offer BambooHR to end users" }).check();
    await page.getByRole("status").filter({ hasText: "BambooHR enabled" }).waitFor();
    expect(await s.ctx.integrations.isActive(s.projectId, "bamboohr")).toBe(true);
    await page.getByLabel("Search").fill("hubspot");
    await page.getByText("OAuth app settings").click();
    await expect(page.getByLabel("Redirect URI").inputValue()).resolves.toBe(s.config.oauthRedirectUrl);
    await page.getByLabel("Client id").fill("hub-client");
    await page.getByLabel("Client secret").fill("hub-secret-value");
    await page.getByRole("button", { name: "Save OAuth app" }).click();
    await page.getByRole("status").filter({ hasText: "HubSpot: OAuth app saved" }).waitFor();
    await loaded(page, "Integrations");
    expect((await s.ctx.integrations.oauthApp(s.projectId, "hubspot"))?.clientSecret).toBe(
      "hub-secret-value",
    );
    expect(await page.content()).not.toContain("hub-secret-value");
    await shot(page, "console-08-integrations");

    await nav.getByRole("link", { name: "Webhooks" }).click();
    await loaded(page, "Webhooks");
    await page.getByLabel("URL").fill(receiver.url);
    await page.getByLabel("account.created").check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_/);
    await shot(page, "console-09-webhook-added");

    // An account linked now is announced to the endpoint.
    await nav.getByRole("link", { name: "Connect" }).click();
    await loaded(page, "Connect an account");
    await page.getByLabel("Owner id").fill("hook-1");
    await page.getByLabel("Owner name").fill("Hook Ltd");
    await page.getByLabel("Provider").selectOption("sandbox-hris");
    await page.getByRole("button", { name: "Create link" }).click();
    await linkInHub(browser, await page.getByLabel("Auth link").inputValue(), "console-10-hub-hook");
    await receiver.waitFor((r) => r.some((d) => d.body.includes('"hook-1"')));

    await nav.getByRole("link", { name: "Webhooks" }).click();
    await loaded(page, "Webhooks");
    await page.getByRole("link", { name: `Deliveries of ${receiver.url}` }).click();
    await loaded(page, /^Deliveries to /);
    const deliveries = page.getByRole("table", { name: "Deliveries" });
    await expect(shown(deliveries)).resolves.toMatch(/account\.created[\s\S]*delivered\s+1\s+204/);
    await shot(page, "console-11-deliveries");
    await page
      .getByRole("button", { name: /^Replay msg_/ })
      .first()
      .click();
    await page.getByText(/Queued 1 delivery of msg_/).waitFor();
    // The overview's webhook counts lead to the deliveries behind them.
    await nav.getByRole("link", { name: "Overview" }).click();
    await loaded(page, "Overview");
    await page.getByRole("link", { name: "Delivered", exact: true }).click();
    await loaded(page, "Deliveries to every endpoint: delivered");
    await expect(shown(page.getByRole("table", { name: "Deliveries" }))).resolves.toMatch(
      /account\.created[\s\S]*delivered\s+1\s+204/,
    );
    await page.getByLabel("State").selectOption("backlog");
    await page.getByRole("button", { name: "Apply" }).click();
    await loaded(page, "Deliveries to every endpoint: backlog (not yet delivered)");

    await nav.getByRole("link", { name: "Webhooks" }).click();
    await loaded(page, "Webhooks");
    await page.getByRole("button", { name: `Rotate secret of ${receiver.url}` }).click();
    const rotated = await page.getByLabel("Signing secret").inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole("button", { name: `Disable ${receiver.url}` }).click();
    await page.getByRole("button", { name: `Enable ${receiver.url}` }).waitFor();
    expect((await s.ctx.webhooks.list(s.projectId))[0]!.status).toBe("disabled");
    await page.getByRole("button", { name: `Enable ${receiver.url}` }).click();
    await page.getByRole("button", { name: `Disable ${receiver.url}` }).waitFor();

    await nav.getByRole("link", { name: "Accounts" }).click();
    await loaded(page, "Accounts");
    await page.getByLabel("Owner id").fill("hook-1");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.getByRole("link", { name: /Hook Ltd/ }).click();
    await loaded(page, /Hook Ltd/);
    await page.getByLabel("Label", { exact: true }).fill("Main HRIS");
    await page.getByLabel("Metadata (JSON object)").fill('{"plan": "pro"}');
    await page.getByRole("button", { name: "Save" }).click();
    await loaded(page, "Main HRIS · Sandbox HRIS");
    const [edited] = await s.ctx.accounts.list(s.projectId, { origin_owner_id: "hook-1" });
    expect(edited).toMatchObject({ label: "Main HRIS", metadata: { plan: "pro" } });

    await page.getByRole("button", { name: "Delete account" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this account?" });
    await dialog.waitFor();
    await shot(page, "console-12-delete-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await s.ctx.accounts.list(s.projectId, { origin_owner_id: "hook-1" })).toHaveLength(1);
    await page.getByRole("button", { name: "Delete account" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete account" }).click();
    await loaded(page, "Accounts");
    expect(await s.ctx.accounts.list(s.projectId, { origin_owner_id: "hook-1" })).toEqual([]);

    await nav.getByRole("link", { name: "API keys" }).click();
    await loaded(page, "API keys");
    await page.getByLabel("Name (optional)").fill("deploy");
    await page.getByRole("button", { name: "Create key" }).click();
    const key = await page.getByRole("textbox", { name: "API key", exact: true }).inputValue();
    expect(key).toMatch(/^sk_/);
    expect(await s.ctx.tenancy.authenticate(key)).not.toBeNull();
    const prefix = `${key.slice(0, 9)}...`;
    await page.getByRole("button", { name: `Revoke ${prefix}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Revoked ${prefix}` })
      .waitFor();
    expect(
      (await s.ctx.tenancy.listApiKeys(s.projectId)).find((k) => k.prefix === prefix)?.revoked_at,
    ).not.toBeNull();
    await shot(page, "console-13-api-keys");

    // What a backend did with its key is in the request log.
    await createSession(s, { origin_owner_id: "api-1", origin_owner_name: "API Co" });
    await s.ctx.history.flush();
    await nav.getByRole("link", { name: "Logs" }).click();
    await loaded(page, "Logs");
    await page.getByLabel("Status").selectOption("201");
    await page.getByRole("button", { name: "Apply" }).click();
    await loaded(page, "Logs");
    const log = await shown(page.getByRole("table", { name: "Request log" }));
    expect(log).toMatch(/POST \/connect_sessions/);
    await page.getByRole("link", { name: "Audit log" }).click();
    await loaded(page, "Logs");
    const audit = await shown(page.getByRole("table", { name: "Audit log" }));
    expect(audit).toMatch(/Account deleted[\s\S]*Sandbox HRIS|sandbox-hris[\s\S]*tester/);
    expect(audit).not.toMatch(/[{}]/);
    await shot(page, "console-14-audit");
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });

  it("switches projects, and every page passes axe-core at desktop and phone widths, light and dark, without sideways scrolling", async () => {
    const other = await s.ctx.tenancy.createProject({ name: "Staging" });
    const accountId = await linkSandboxHris(
      s,
      (await createSession(s, { origin_owner_id: "axe-1", origin_owner_name: "Axe Co" })).token,
    );
    const endpoint =
      (await s.ctx.webhooks.list(s.projectId))[0] ??
      (await s.ctx.webhooks.add(s.projectId, { url: receiver.url }));
    const test = await s.ctx.webhooks.sendTest(s.projectId, endpoint.id);
    await invite(s, "axe@acme.example", "viewer");
    const pages: [string, string | RegExp, string][] = [
      ["", "Overview", "overview"],
      ["/accounts", "Accounts", "accounts"],
      [`/accounts/${accountId}`, "Axe Co · Sandbox HRIS", "account"],
      ["/connect", "Connect an account", "connect"],
      ["/integrations", "Integrations", "integrations"],
      ["/webhooks", "Webhooks", "webhooks"],
      [`/webhooks/${endpoint.id}`, /^Deliveries to/, "deliveries"],
      ["/webhooks/deliveries?state=delivered", /^Deliveries to every endpoint/, "deliveries-all"],
      [`/webhooks/deliveries/${test.delivery_id}`, "webhook.test delivery", "delivery"],
      ["/api-keys", "API keys", "api-keys"],
      ["/logs", "Logs", "logs-requests"],
      ["/logs?tab=events", "Logs", "logs-events"],
      ["/logs?tab=audit", "Logs", "logs-audit"],
      ["/logs?tab=refused", "Logs", "logs-refused"],
      ["/users", "Users", "users"],
      ["/sessions", "Your sessions", "sessions"],
      ["/settings", "Settings", "settings"],
    ];
    const noSidewaysScroll = async (page: Page, what: string) =>
      expect(
        await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        ),
        `${what} scrolls sideways`,
      ).toBeLessThanOrEqual(0);
    for (const width of [1280, 375])
      for (const scheme of ["light", "dark"] as const) {
        const { page, errors } = await newPage(scheme, width);
        const at = `${width} ${scheme}`;
        // The pages before signing in: sign-in (with single sign-on), an invitation, a refusal.
        await page.goto(`${s.url}/console/sign-in`);
        await page.getByRole("link", { name: "Sign in with SSO" }).waitFor();
        expect(await axeViolations(page), `${at} sign-in`).toEqual([]);
        await noSidewaysScroll(page, `${at} sign-in`);
        await shot(page, `console-${width}-${scheme}-sign-in`);
        await page.goto(await invite(s, "invited@acme.example", "admin"));
        await page.getByText("You are invited to the console as invited@acme.example").waitFor();
        expect(await axeViolations(page), `${at} invitation`).toEqual([]);
        await shot(page, `console-${width}-${scheme}-invitation`);
        idp.next = { sub: "mallory", email: "mallory@elsewhere.example", email_verified: true };
        await page.goto(`${s.url}/console/sso`);
        await page.getByRole("heading", { name: "You are not signed in" }).waitFor();
        expect(await axeViolations(page), `${at} refusal`).toEqual([]);
        await noSidewaysScroll(page, `${at} refusal`);
        await shot(page, `console-${width}-${scheme}-sso-refused`);

        await signInBrowser(page, s);
        for (const [path, heading, name] of pages) {
          await page.goto(`${s.url}/console/projects/${s.projectId}${path}`);
          await loaded(page, heading);
          await shot(page, `console-${width}-${scheme}-${name}`);
          const violations = await axeViolations(page);
          expect(violations, `${at} ${path || "/"}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
          await noSidewaysScroll(page, `${at} ${path || "/"}`);
          if (width < 600) {
            // Phones: every table's rows are stacked cards, each cell labelled by its column.
            const cells = await page.locator(".table-wrap td").evaluateAll((tds) =>
              tds.map((el) => ({
                display: getComputedStyle(el).display,
                label: el.getAttribute("data-label"),
              })),
            );
            for (const c of cells) {
              expect(c.display, `${at} ${path}`).toBe("block");
              expect(c.label, `${at} ${path}`).not.toBeNull();
            }
          }
        }
        // A dialog open: still accessible.
        await page.goto(`${s.url}/console/projects/${s.projectId}/accounts/${accountId}`);
        await loaded(page);
        await page.getByRole("button", { name: "Delete account" }).click();
        expect(await axeViolations(page)).toEqual([]);
        await page.keyboard.press("Escape");
        await page.getByRole("dialog").waitFor({ state: "detached" });

        // The switcher keeps the section and leaves the other project's account behind.
        await page.getByLabel("Project").selectOption(other.project_id);
        await page.waitForURL(`${s.url}/console/projects/${other.project_id}/accounts`);
        await loaded(page, "Accounts");
        await page.getByText("No accounts yet").waitFor();
        expect(errors).toEqual([]);
        await page.close();
      }
  }, 300_000);

  it("is usable by keyboard: skip link, navigation, forms and dialogs", async () => {
    const { page } = await newPage();
    await signInBrowser(page, s);
    await loaded(page, "Overview");
    await page.keyboard.press("Tab");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Skip to content");
    await page.keyboard.press("Enter");
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe("main");
    // From the top of a fresh page: skip link, brand, project, your sessions, sign out, then the navigation.
    await page.reload();
    await loaded(page, "Overview");
    const reached: string[] = [];
    for (let i = 0; i < 16; i++) {
      await page.keyboard.press("Tab");
      reached.push(
        await page.evaluate(() => {
          const el = document.activeElement!;
          return el.tagName === "SELECT" ? el.id : (el.textContent?.trim() ?? "");
        }),
      );
    }
    expect(reached.slice(0, 15)).toEqual([
      "Skip to content",
      "Portico",
      "project-switcher",
      "Your sessions",
      "Sign out",
      "Overview",
      "Accounts",
      "Connect",
      "Integrations",
      "Webhooks",
      "API keys",
      "Logs",
      "Hosted page",
      "Users",
      "Settings",
    ]);
    // Follow the navigation to Connect by keyboard and submit the form with Enter.
    const connect = page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Connect" });
    await connect.focus();
    await page.keyboard.press("Enter");
    await loaded(page, "Connect an account");
    await page.getByLabel("Owner id").focus();
    await page.keyboard.type("keys-1");
    await page.keyboard.press("Tab");
    await page.keyboard.type("Keyboard Co");
    await page.keyboard.press("Enter");
    await expect(page.getByLabel("Auth link").inputValue()).resolves.toMatch(/token=cst_/);
    await page.close();
  });
});
