import type { Browser } from "playwright-core";
import { expect } from "vitest";
import { guardOffline, shot } from "./browser.js";
import { SANDBOX_HRIS_KEY } from "./hub.js";

/**
 * Links Sandbox HRIS in the real hub web component opened at `url`, as an end user would, and
 * checks the hosted page's banner: the provider's name, in the hub's own font.
 */
export async function linkInHub(
  browser: Browser,
  url: string,
  name: string,
  edit = false,
  width = 900,
): Promise<void> {
  const hub = await browser.newPage({ viewport: { width, height: 800 } });
  const external = guardOffline(hub);
  await hub.goto(url);
  if (edit) {
    await hub.getByRole("button", { name: "Edit" }).click();
  } else {
    await hub.getByText("Sandbox HRIS").click();
  }
  await hub.locator("input").first().fill(SANDBOX_HRIS_KEY);
  await hub.getByRole("button", { name: "Connect", exact: true }).click();
  await hub.getByText("Connection Successful").waitFor();
  const banner = hub.locator("#status");
  await banner.getByText("Sandbox HRIS is connected. You can close this window.").waitFor();
  const font = await banner.evaluate((el) => getComputedStyle(el).fontFamily);
  expect(font).toMatch(/^"?Inter"?,/);
  // The hub loads Inter itself (as data: fonts); the banner uses that face, not a fallback.
  await expect(hub.evaluate(() => document.fonts.check('14px "Inter"'))).resolves.toBe(true);
  await shot(hub, name);
  expect(external).toEqual([]);
  await hub.close();
}
