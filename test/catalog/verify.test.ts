import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, portico } from "../helpers/processes.js";
import { startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * `portico catalog verify` against providers played on 127.0.0.1: a real OAuth server
 * (oidc-provider) and API that behave as their entries say, and a provider that has since moved
 * things: a verification endpoint that is gone (404), an API that now sends every request to a
 * login page, a token endpoint that moved, one that answers the wrong refusal, and one that is
 * down. The command runs as an operator would, as its own process.
 */

type Report = {
  ok: boolean;
  drifted: string[];
  providers: {
    provider: string;
    drifted: boolean;
    checks: { check: string; status: number | null; result: string; message: string }[];
  }[];
};

let tp: ThirdParty;
let moved: http.Server;
let movedUrl: string;
let downUrl: string;
const seen: { method: string; url: string; authorization?: string; body: string }[] = [];

/** A provider after a redesign: what the entries below still expect has changed. */
function startMovedProvider(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      const url = req.url ?? "";
      if (url === "/v1" || url === "/v1/") return res.writeHead(200).end("API v1");
      if (url.startsWith("/v1/old/"))
        return res.writeHead(404, { "content-type": "application/json" }).end("{}");
      if (url.startsWith("/v1/sso/"))
        return res.writeHead(302, { location: "https://login.example.com/sign-in" }).end();
      if (url.startsWith("/v1/html/"))
        return res.writeHead(200, { "content-type": "text/html" }).end("<form>Sign in</form>");
      if (url.startsWith("/v1/forbidden/"))
        return res.writeHead(403, { "content-type": "application/json" }).end('{"error":"forbidden"}');
      if (url === "/oauth/authorize") return res.writeHead(302, { location: "/login" }).end();
      if (url === "/oauth/token") return res.writeHead(404).end("Not Found");
      if (url === "/oauth2/token" && req.method === "POST")
        return res.writeHead(400, { "content-type": "application/json" }).end('{"error":"invalid_grant"}');
      res.writeHead(404).end();
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const entry = (key: string, body: string) =>
  `key: ${key}
name: ${key}
categories: [crm]
logo: test.svg
docs: https://docs.example.com/${key}
sources: [https://docs.example.com/${key}]
${body}`;

let catalogDir: string;
const run = (args: string[]) =>
  portico(["catalog", "verify", "--json", ...args], {
    PORTICO_CATALOG_DIRS: catalogDir,
    PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
    PORTICO_SANDBOX: "false",
  });

beforeAll(async () => {
  tp = await startThirdParty(["http://127.0.0.1:1/oauth/callback"]);
  moved = await startMovedProvider();
  movedUrl = `http://127.0.0.1:${(moved.address() as AddressInfo).port}`;
  downUrl = `http://127.0.0.1:${await freePort()}`;
  catalogDir = tp.catalogDir;
  const files: Record<string, string> = {
    // As the entries say: the real OAuth server and API of the test third party.
    "live-oauth": `auth:
  scheme: oauth2
  oauth2:
    authorize_url: ${tp.asUrl}/auth
    token_url: ${tp.asUrl}/token
    token_auth: client_secret_basic
api:
  base_url: ${tp.apiUrl}/api
  inject: { bearer: "{{access_token}}" }
verify: { path: /me, reject_status: 401 }
`,
    "live-key": `auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${tp.apiUrl}/api
  inject: { headers: { X-Api-Key: "{{api_key}}" } }
verify: { path: /me, reject_status: [401, 403] }
`,
    "moved-endpoint": `auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${movedUrl}/v1
  inject: { bearer: "{{api_key}}" }
verify: { path: /old/me, reject_status: 401 }
`,
    "moved-to-login": `auth:
  scheme: basic
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${movedUrl}/v1
  inject: { basic: { username: "{{api_key}}", password: "x" } }
verify: { path: /sso/me, reject_status: 401 }
`,
    "login-page": `auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${movedUrl}/v1
  inject: { query: { key: "{{api_key}}" } }
verify: { path: /html/me, reject_status: 401 }
`,
    "wrong-refusal": `auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${movedUrl}/v1
  inject: { bearer: "{{api_key}}" }
verify: { path: /forbidden/me, reject_status: 401 }
`,
    "moved-token": `auth:
  scheme: oauth2
  oauth2:
    authorize_url: ${movedUrl}/oauth/authorize
    token_url: ${movedUrl}/oauth/token
    refresh_url: ${movedUrl}/oauth2/token
    token_auth: client_secret_post
api:
  base_url: ${movedUrl}/v1
  inject: { bearer: "{{access_token}}" }
verify: { path: /old/me, reject_status: 401 }
`,
    down: `auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${downUrl}/api
  inject: { bearer: "{{api_key}}" }
verify: { path: /me, reject_status: 401 }
`,
  };
  for (const [key, body] of Object.entries(files))
    fs.writeFileSync(path.join(catalogDir, `${key}.yaml`), entry(key, body));
});

afterAll(async () => {
  await tp?.close();
  await new Promise((r) => moved?.close(r));
});

const checksOf = (report: Report, provider: string) =>
  Object.fromEntries(report.providers.find((p) => p.provider === provider)!.checks.map((c) => [c.check, c]));

describe("portico catalog verify", () => {
  it("passes providers that still refuse a wrong credential as their entries say", async () => {
    const r = await run(["--provider", "live-oauth", "--provider", "live-key"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ ok: true, drifted: [] });
    const oauth = checksOf(report, "live-oauth");
    expect(Object.keys(oauth).sort()).toEqual(["authorize_url", "base_url", "token_url", "verify"]);
    for (const c of Object.values(oauth)) expect(c.result, c.message).toBe("ok");
    // oidc-provider refuses the made-up client at the token endpoint, as RFC 6749 says.
    expect(oauth.token_url!.status).toBe(401);
    expect(oauth.verify!.status).toBe(401);
    expect(checksOf(report, "live-key").verify).toMatchObject({ status: 401, result: "ok" });
    // The test API records only calls it authorized: the made-up credential was never accepted.
    expect(tp.apiCalls).toEqual([]);
  });

  it("reports what drifted, and exits 1", async () => {
    seen.length = 0;
    const r = await run([
      "--provider",
      "moved-endpoint,moved-to-login,login-page,wrong-refusal,moved-token,down",
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).toBe(false);
    expect(report.drifted.sort()).toEqual(
      ["down", "login-page", "moved-endpoint", "moved-to-login", "moved-token", "wrong-refusal"].sort(),
    );

    const gone = checksOf(report, "moved-endpoint");
    expect(gone.base_url).toMatchObject({ status: 200, result: "ok" });
    expect(gone.verify).toMatchObject({ status: 404, result: "drift" });
    expect(gone.verify!.message).toMatch(
      /answered 404: the endpoint has moved or been removed; the entry expects 401/,
    );

    const login = checksOf(report, "moved-to-login").verify!;
    expect(login).toMatchObject({ status: 302, result: "drift" });
    expect(login.message).toMatch(/redirects \(302\) to https:\/\/login\.example\.com\/sign-in/);

    expect(checksOf(report, "login-page").verify!.message).toMatch(/answered 200 with an HTML page/);
    expect(checksOf(report, "wrong-refusal").verify).toMatchObject({ status: 403, result: "drift" });
    expect(checksOf(report, "wrong-refusal").verify!.message).toMatch(/answered 403; the entry expects 401/);

    const token = checksOf(report, "moved-token");
    expect(token.authorize_url).toMatchObject({ status: 302, result: "ok" });
    expect(token.token_url).toMatchObject({ status: 404, result: "drift" });
    expect(token.refresh_url).toMatchObject({ status: 400, result: "ok" });

    const down = checksOf(report, "down");
    expect(down.base_url).toMatchObject({ status: null, result: "drift" });
    expect(down.base_url!.message).toMatch(/could not be reached \(ECONNREFUSED\)/);

    // Each credential was the deliberately wrong one, sent where the entry injects it.
    const wrong = "portico-catalog-verify-wrong-credential";
    expect(seen.find((s) => s.url === "/v1/old/me")!.authorization).toBe(`Bearer ${wrong}`);
    expect(seen.find((s) => s.url === "/v1/sso/me")!.authorization).toBe(
      `Basic ${Buffer.from(`${wrong}:x`).toString("base64")}`,
    );
    expect(seen.find((s) => s.url.startsWith("/v1/html/me"))!.url).toBe(`/v1/html/me?key=${wrong}`);
    const tokenCall = seen.find((s) => s.url === "/oauth/token")!;
    expect(tokenCall.method).toBe("POST");
    expect(new URLSearchParams(tokenCall.body).get("grant_type")).toBe("authorization_code");
    expect(new URLSearchParams(tokenCall.body).get("client_secret")).toBe(wrong);
    expect(new URLSearchParams(seen.find((s) => s.url === "/oauth2/token")!.body).get("grant_type")).toBe(
      "refresh_token",
    );
  });

  it("prints a readable report without --json", async () => {
    const r = await portico(["catalog", "verify", "--provider", "live-key,wrong-refusal"], {
      PORTICO_CATALOG_DIRS: catalogDir,
      PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
      PORTICO_SANDBOX: "false",
      NO_COLOR: "1",
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✓ live-key \(live-key\)/);
    expect(r.stdout).toMatch(
      /✗ wrong-refusal \(wrong-refusal\)\n {4}✗ verify: GET http:\/\/127\.0\.0\.1:\d+\/v1\/forbidden\/me: answered 403/,
    );
    expect(r.stdout).toMatch(/2 providers checked: 1 as the catalog says, 1 drifted, 0 unsure/);
  });

  it("refuses a provider that is not in the catalog", async () => {
    const r = await run(["--provider", "live-key,no-such-provider"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/provider: no-such-provider not in the catalog/);
  });
});
