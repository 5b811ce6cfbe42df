import fs from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGO_DIR, loadCatalogFiles } from "../../src/catalog/loader.js";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { createSession } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The hub in Debian Chromium shows each provider's brand logo, drawn from simple-icons where the
 * set has the brand, from SVG Logos where only that set has it, and a monogram where neither does,
 * every image served by Portico itself.
 */
describe.skipIf(!browserAvailable())("hub in a real browser: brand logos", () => {
  let s: TestServer;
  let browser: Browser;
  const catalog = loadCatalogFiles();
  // Brands from simple-icons, two from SVG Logos and two monograms, enabled on the project.
  const icons = ["github", "hubspot", "jira", "zendesk", "xero", "notion", "box", "dropbox", "okta", "gusto"];
  const svgLogos = ["slack", "salesforce"];
  const monograms = ["bamboohr", "workable"];
  beforeAll(async () => {
    s = await startTestServer("sqlite");
    for (const key of [...icons, ...svgLogos, ...monograms]) {
      const oauth = catalog.find((e) => e.key === key)!.auth.scheme === "oauth2";
      await s.ctx.integrations.enable(s.projectId, key, oauth ? { clientId: "c", clientSecret: "s" } : {});
    }
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  it("shows every enabled provider's logo, served from this Portico, with nothing fetched elsewhere", async () => {
    for (const key of icons)
      expect(catalog.find((e) => e.key === key)!.brand?.simple_icons, key).toBeTruthy();
    for (const key of [...svgLogos, ...monograms])
      expect(catalog.find((e) => e.key === key)!.brand?.simple_icons, key).toBeNull();
    for (const key of svgLogos) expect(catalog.find((e) => e.key === key)!.brand?.logos, key).toBeTruthy();
    for (const key of monograms)
      expect(catalog.find((e) => e.key === key)!.brand?.logos, key).toBeUndefined();

    const session = await createSession(s, { origin_owner_id: "logos", origin_owner_name: "Logos Co" });
    const page = await browser.newPage({ viewport: { width: 900, height: 1300 } });
    const external = guardOffline(page);
    const served = new Map<string, { status: number; type: string | undefined; body: Buffer }>();
    page.on("response", async (r) => {
      const u = new URL(r.url());
      if (u.pathname.startsWith("/assets/logos/"))
        served.set(u.pathname.slice("/assets/logos/".length), {
          status: r.status(),
          type: r.headers()["content-type"],
          body: await r.body(),
        });
    });
    await page.goto(session.auth_link_url);
    await page.getByText("Salesforce").waitFor();
    const names = [...icons, ...svgLogos, ...monograms].map((k) => catalog.find((e) => e.key === k)!.name);
    for (const name of names) await page.getByText(name, { exact: true }).first().waitFor();

    // Every logo image has loaded (a broken one has no natural width) and points at Portico.
    const imgs = page.locator("img");
    await expect
      .poll(async () =>
        imgs.evaluateAll((list) =>
          list.every((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
        ),
      )
      .toBe(true);
    const srcs = await imgs.evaluateAll((list) => list.map((i) => (i as HTMLImageElement).src));
    const logoSrcs = srcs.filter((src) => src.includes("/assets/logos/"));
    for (const key of [...icons, ...svgLogos, ...monograms])
      expect(logoSrcs, key).toContain(`${s.url}/assets/logos/${key}.svg`);
    for (const src of srcs) expect(new URL(src).origin).toBe(s.url);
    await shot(page, "hub-logos");
    await page.getByText("Zendesk", { exact: true }).first().scrollIntoViewIfNeeded();
    await shot(page, "hub-logos-end");

    // What the browser got is the file in catalog/logos, as an SVG image.
    for (const key of [...icons, ...svgLogos, ...monograms]) {
      const got = served.get(`${key}.svg`);
      expect(got, key).toBeDefined();
      expect(got!.status).toBe(200);
      expect(got!.type).toMatch(/^image\/svg\+xml/);
      expect(got!.body.equals(fs.readFileSync(`${LOGO_DIR}/${key}.svg`))).toBe(true);
    }
    expect(served.get("github.svg")!.body.toString()).toContain("<title>GitHub</title>");
    expect(served.get("slack.svg")!.body.toString()).toContain("<title>Slack</title>");
    expect(served.get("slack.svg")!.body.toString()).toContain('fill="#e01e5a"');
    expect(served.get("bamboohr.svg")!.body.toString()).toContain("<rect");
    expect(external).toEqual([]);
    await page.close();
  });
});
