import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { CHROMIUM, REQUIRE_ALL } from "./env.js";

/** Debian's Chromium is there, or its absence must fail the run (PORTICO_TEST_REQUIRE_ALL=1). */
export const browserAvailable = (): boolean => REQUIRE_ALL || process.env.PORTICO_TEST_HAS_CHROMIUM !== "0";

/** Where screenshots go, so a human can look at what the browser saw. */
export const SHOTS = path.resolve(import.meta.dirname, "../../test-results/screenshots");

/** Headless Debian Chromium with the flags that keep it off the network. Never downloads a browser. */
export async function launchBrowser(): Promise<Browser> {
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** Fails the test on any request that leaves 127.0.0.1 or localhost. */
export function guardOffline(page: Page): string[] {
  const external: string[] = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!["127.0.0.1", "localhost"].includes(u.hostname) && u.protocol !== "data:") external.push(r.url());
  });
  return external;
}

export const shot = (page: Page, name: string, opts: { fullPage?: boolean } = {}) =>
  page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: opts.fullPage ?? false });
