import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateId } from "../../src/crypto/tokens.js";
import { SANDBOX_OAUTH_APP } from "../../src/sandbox/entries.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { sdkFor } from "../helpers/sdk.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** StackOne's error body, and nothing of Fastify's own (`error`, `code`). */
async function expectStackOneError(res: Response, status: number, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json();
  expect(Object.keys(body).sort()).toEqual(["message", "statusCode", "timestamp"]);
  expect(body.statusCode).toBe(status);
  expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
  if (message) expect(body.message).toMatch(message);
  return body;
}

/** Sends raw bytes and returns the whole answer as text (the server closes the connection). */
function raw(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), "127.0.0.1", () => socket.write(request));
    let out = "";
    socket.on("data", (d) => {
      out += d;
    });
    socket.on("close", () => resolve(out));
    socket.on("error", reject);
  });
}

const jsonOf = (response: string) => JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));

/** Errors raised before any of Portico's code runs (router, HTTP parser) are StackOne's body too. */
describe("framework errors in StackOne's shape", () => {
  let s: TestServer;
  const api = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${s.url}${path}`, { headers: { authorization: basic(s.apiKey), ...headers } });

  beforeAll(async () => {
    s = await startTestServer("sqlite");
  });
  afterAll(() => s?.close());

  it("answers a malformed percent-escape in the path with a 400", async () => {
    await expectStackOneError(await api("/accounts/%ff"), 400, /^path: malformed percent-encoding/);
    await expectStackOneError(await fetch(`${s.url}/hub/accounts/%e0%a4%a`), 400, /^path: /);
  });

  it("takes ids up to 255 characters, refuses longer ones with a 400, and very long ones with a 414", async () => {
    await expectStackOneError(await api(`/accounts/${"a".repeat(255)}`), 404, /^id: account a+ not found/);
    await expectStackOneError(await api(`/accounts/${"é".repeat(255)}`), 404, /not found/);
    await expectStackOneError(await api(`/accounts/${"a".repeat(256)}`), 400, /^id: must be at most 255/);
    await expectStackOneError(await api(`/accounts/${"a".repeat(5000)}`), 414, /^path: /);
  });

  it("filters by the 1,000 account ids the README allows, from the SDK and comma-separated", async () => {
    const session = await createSession(s, { origin_owner_id: "many", origin_owner_name: "Many" });
    const linked = await linkSandboxHris(s, session.token);
    const ids = [...Array.from({ length: 999 }, () => generateId("acc_")), linked];
    const comma = await api(`/accounts?account_ids=${ids.join(",")}&page_size=1000`);
    expect(comma.status).toBe(200);
    expect((await comma.json()).map((a: { id: string }) => a.id)).toEqual([linked]);
    const sdk = sdkFor(s.url, s.apiKey);
    const res = await sdk.accounts.listLinkedAccounts({ accountIds: ids, pageSize: 1000 });
    expect(res.classes?.map((a) => a.id)).toEqual([linked]);
  });

  it("answers a URL or headers over 64 KB with a 414 or a 431", async () => {
    for (const n of [70_000, 200_000])
      await expectStackOneError(await api(`/accounts?origin_owner_id=${"a".repeat(n)}`), 414, /65536/);
    await expectStackOneError(await api("/accounts", { "x-big": "a".repeat(70_000) }), 431, /65536/);
  });

  it("answers a request the HTTP parser refuses with a 400", async () => {
    const answer = await raw(s.url, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(answer).toMatch(/connection: close/i);
    const body = jsonOf(answer);
    expect(body).toMatchObject({ statusCode: 400, message: "Malformed HTTP request" });
  });

  it("refuses a repeated query parameter on the OAuth start with a 400, not a 500", async () => {
    const res = await fetch(`${s.url}/connect/oauth2/sandbox-crm?token=a&token=b&connection_attempt_id=x`);
    await expectStackOneError(res, 400, /^token: must be a string/);
    const field = await fetch(`${s.url}/connect/oauth2/sandbox-crm?token=a&subdomain=a&subdomain=b`);
    await expectStackOneError(field, 400, /^subdomain: must be a string/);
  });

  it("refuses repeated parameters on the hosted page and the sandbox's authorization server", async () => {
    await expectStackOneError(await fetch(`${s.url}/embedded/integrations?token=a&token=b`), 400, /^token: /);
    const authorize = new URLSearchParams({
      client_id: SANDBOX_OAUTH_APP.clientId,
      redirect_uri: s.config.oauthRedirectUrl,
      response_type: "code",
      code_challenge: "x",
      code_challenge_method: "S256",
    });
    authorize.append("scope", "a");
    authorize.append("scope", "b");
    await expectStackOneError(
      await fetch(`${s.url}/sandbox/oauth/authorize?${authorize}`),
      400,
      /^scope: must be a string/,
    );
    const token = await fetch(`${s.url}/sandbox/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=authorization_code&code=a&code_verifier=a&code_verifier=b",
    });
    await expectStackOneError(token, 400, /^code_verifier: must be a string/);
  });
});
