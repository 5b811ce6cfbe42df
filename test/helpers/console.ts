import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { cliActor } from "../../src/history/actor.js";
import type { TestServer } from "./test-server.js";

/** A one-time console sign-in link, as `portico console link` prints it. */
export async function consoleLink(s: TestServer, operator = "tester"): Promise<string> {
  return (await s.ctx.consoleAuth.createLink(operator, cliActor())).url;
}

/** Signs in over HTTP as a browser on Portico's origin would; returns the `Cookie` header value. */
export async function signIn(s: TestServer): Promise<string> {
  return signInWith(s, await consoleLink(s));
}

/** Signs in with a sign-in or invitation link, as the sign-in page's form does; returns the cookie. */
export async function signInWith(s: TestServer, url: string): Promise<string> {
  const token = new URL(url).searchParams.get("token")!;
  const res = await fetch(`${s.url}/console/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: s.config.publicUrl },
    body: new URLSearchParams({ token }),
  });
  if (res.status !== 303) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

/** Invites an email with a role (as `portico console users invite` does); returns its link. */
export async function invite(
  s: TestServer,
  email: string,
  role: "viewer" | "admin" | "owner",
  organizationId?: number,
): Promise<string> {
  return (await s.ctx.consoleUsers.invite({ email, role, organizationId, actor: cliActor() })).url;
}

/** A console user signed in through an invitation: their cookie. */
export async function userCookie(
  s: TestServer,
  email: string,
  role: "viewer" | "admin" | "owner",
  organizationId?: number,
): Promise<string> {
  return signInWith(s, await invite(s, email, role, organizationId));
}

/** A console API call with the cookie and Portico's own origin, as the console page makes it. */
export function consoleFetch(
  s: TestServer,
  cookie: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return fetch(`${s.url}/console/api${path}`, {
    method,
    headers: {
      cookie,
      ...(method === "GET" ? {} : { origin: s.config.publicUrl }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Opens a fresh sign-in link in the page and signs in; ends on the overview. */
export async function signInBrowser(page: Page, s: TestServer): Promise<void> {
  await page.goto(await consoleLink(s));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
}

const AXE_SOURCE = (createRequire(import.meta.url)("axe-core") as { source: string }).source;

export type AxeViolation = {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
};

/**
 * axe-core over the page as it is now; returns the serious and critical violations. Injected
 * through the DevTools protocol (page.evaluate), which the console's CSP does not govern.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(() =>
    (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<unknown> } }).axe.run(document, {
      resultTypes: ["violations"],
    }),
  )) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}
