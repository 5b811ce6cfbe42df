import { basic, type TestServer } from "./test-server.js";

/** Opens a connect session over the public API, as a customer's backend would. */
export async function createSession(s: TestServer, body: Record<string, unknown>, apiKey = s.apiKey) {
  const res = await fetch(`${s.url}/connect_sessions`, {
    method: "POST",
    headers: { authorization: basic(apiKey), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`session create failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: number; token: string; auth_link_url: string };
}

/** Calls a /hub endpoint as the hub web component does. */
export function hubFetch(
  s: TestServer,
  token: string,
  path: string,
  init: { method?: string; body?: unknown; origin?: string } = {},
) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-hub-session-token": token,
    "x-hub-version": "1.11.4",
  };
  if (init.origin) headers.origin = init.origin;
  return fetch(`${s.url}/hub${path}`, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

export const SANDBOX_HRIS_KEY = "sandbox-demo-key";

/** Links a Sandbox HRIS account through the hub API and returns its id. */
export async function linkSandboxHris(s: TestServer, token: string, key = SANDBOX_HRIS_KEY): Promise<string> {
  const res = await hubFetch(s, token, "/accounts", {
    method: "POST",
    body: { integration_id: "sandbox-hris", credentials: { api_key: key } },
  });
  if (res.status !== 201) throw new Error(`link failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
