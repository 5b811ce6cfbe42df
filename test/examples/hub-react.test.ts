import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserAvailable, guardOffline, launchBrowser, shot } from "../helpers/browser.js";
import { type ExampleProcess, exampleInstalled, onFreePort, startExample } from "../helpers/examples.js";
import { createSession, linkSandboxHris, SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { sdkFor } from "../helpers/sdk.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * examples/hub-react as its README runs it (`npm start`: build the page, start the Express backend),
 * against a live Portico, driven in Debian Chromium: connect Sandbox HRIS in the embedded hub, see
 * the account listed, list its employees through the proxy. One dialect: the example's behaviour
 * does not depend on Portico's database, which the other suites cover on both.
 */
describe.skipIf(!browserAvailable() || !exampleInstalled("hub-react"))(
  "examples/hub-react in a browser",
  () => {
    let s: TestServer;
    let app: ExampleProcess;
    let appUrl: string;
    let browser: Browser;
    beforeAll(async () => {
      s = await startTestServer("sqlite");
      app = await onFreePort(async (port) => {
        appUrl = `http://127.0.0.1:${port}`;
        return startExample(
          "hub-react",
          ["npm", "start"],
          {
            PORTICO_URL: s.url,
            PORTICO_API_KEY: s.apiKey,
            PORT: String(port),
            CUSTOMER_ID: "example-customer",
          },
          /example app on http/,
        );
      });
      browser = await launchBrowser();
    });
    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      await s?.close();
    });

    it("links Sandbox HRIS in the embedded hub, lists it, and lists its employees through the proxy", async () => {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1000 } });
      const external = guardOffline(page);
      await page.goto(appUrl);
      await page.getByText("No linked accounts yet").waitFor();
      await page.getByRole("button", { name: "Connect an account" }).click();
      await page.getByText("Sandbox HRIS").click();
      await page.getByText("Use the demo key").waitFor();
      await shot(page, "example-hub-react-1-form");
      await page.locator("input").first().fill(SANDBOX_HRIS_KEY);
      await page.getByRole("button", { name: "Connect", exact: true }).click();
      await page.getByText("Connection Successful").waitFor();

      // onSuccess refreshed the list from the backend, which asked Portico through the SDK.
      const row = page.getByRole("row", { name: /Sandbox HRIS/ });
      await row.waitFor();
      await expect(row.textContent()).resolves.toContain("active");
      const { classes } = await sdkFor(s.url, s.apiKey).accounts.listLinkedAccounts({
        originOwnerId: "example-customer",
      });
      const [account] = classes!;
      await expect(row.textContent()).resolves.toContain(account!.id);

      await page.getByRole("button", { name: "List employees" }).click();
      await page.getByText("Ada Lovelace (Engineering)").waitFor();
      await expect(page.getByText("the provider answered 200").count()).resolves.toBe(1);
      await shot(page, "example-hub-react-2-employees");
      expect(external).toEqual([]);
      await page.close();
    });

    it("keeps other customers' accounts out of the page and out of the proxy", async () => {
      const other = await createSession(s, {
        origin_owner_id: "someone-else",
        origin_owner_name: "Other Co",
      });
      const theirs = await linkSandboxHris(s, other.token);
      const listed = (await (await fetch(`${appUrl}/api/accounts`)).json()) as { id: string }[];
      expect(listed.map((a) => a.id)).not.toContain(theirs);
      expect(listed).toHaveLength(1);
      const refused = await fetch(`${appUrl}/api/accounts/${theirs}/employees`);
      expect(refused.status).toBe(404);
      const unknown = await fetch(`${appUrl}/api/accounts/acc_unknown/employees`);
      expect(unknown.status).toBe(404);
      expect(app.output()).toContain("portico call failed: id: account acc_unknown not found");
    });
  },
);
