import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import Fastify, { type FastifyInstance } from "fastify";
import Provider from "oidc-provider";
import { freePort } from "./processes.js";

/**
 * Real third parties on 127.0.0.1 for the OAuth and proxy tests: oidc-provider as the
 * authorization server (code + PKCE required, refresh tokens rotated, reuse revokes the grant)
 * and a Fastify app as the provider's API, which accepts only live access tokens from that server
 * or the static API key. Nothing here is mocked inside Portico.
 */
export const CLIENT = { id: "portico-test", secret: "portico-test-secret" } as const;
export const API_KEY = "provider-api-key-123";

export type ThirdParty = {
  asUrl: string;
  apiUrl: string;
  catalogDir: string;
  /** Token endpoint results by grant type, as oidc-provider reports them. */
  grants: { success: Record<string, number>; error: Record<string, number>; errors: string[] };
  /** Next N token requests answer this instead of reaching oidc-provider. */
  failTokenRequests(n: number, status: number, body: unknown): void;
  /** Makes the API answer slowly, to exercise the proxy's timeout. */
  setApiDelay(ms: number): void;
  apiCalls: {
    authorization: string | undefined;
    url: string;
    method: string;
    body: string;
    /** Every request header as the provider received it (lower-case names). */
    headers: Record<string, string | string[] | undefined>;
  }[];
  close(): Promise<void>;
};

const LOGO =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><title>t</title><rect width="8" height="8"/></svg>';

/**
 * Starts both servers and writes a catalog directory (PORTICO_CATALOG_DIRS) with two entries
 * pointing at them: `test-oauth` (authorization code) and `test-key` (API key in a header).
 * `redirectUri` is Portico's OAuth callback, registered with the client.
 */
export async function startThirdParty(redirectUris: string[]): Promise<ThirdParty> {
  const asPort = await freePort();
  const asUrl = `http://127.0.0.1:${asPort}`;
  const provider = new Provider(asUrl, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code", "refresh_token", "client_credentials"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    scopes: ["contacts.read"],
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false }, clientCredentials: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    issueRefreshToken: async () => true,
    rotateRefreshToken: () => true,
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      RefreshToken: 86400,
      Grant: 86400,
      Interaction: 600,
      Session: 86400,
    },
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  });
  provider.proxy = false;
  const grants: ThirdParty["grants"] = { success: {}, error: {}, errors: [] };
  provider.on("grant.success", (ctx) => {
    const g = String(ctx.oidc.params?.grant_type);
    grants.success[g] = (grants.success[g] ?? 0) + 1;
  });
  provider.on("grant.error", (ctx, err) => {
    const g = String(ctx.oidc.params?.grant_type);
    grants.error[g] = (grants.error[g] ?? 0) + 1;
    grants.errors.push(`${g}: ${(err as Error).message}`);
  });

  let failures: { n: number; status: number; body: unknown } = { n: 0, status: 0, body: null };
  const callback = provider.callback();
  const asServer = http.createServer(async (req, res) => {
    try {
      if (req.method === "POST" && req.url === "/token" && failures.n > 0) {
        failures.n--;
        res
          .writeHead(failures.status, { "content-type": "application/json" })
          .end(JSON.stringify(failures.body));
        return;
      }
      const m = /^\/interaction\/([^/?]+)/.exec(req.url ?? "");
      if (m) {
        // The user signs in and consents at once: the tests are about Portico, not this page.
        const details = await provider.interactionDetails(req, res);
        if (details.prompt.name === "login") {
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: "user-1" } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        const grant = details.grantId
          ? ((await provider.Grant.find(details.grantId)) ??
            new provider.Grant({ accountId: "user-1", clientId: CLIENT.id }))
          : new provider.Grant({
              accountId: details.session?.accountId ?? "user-1",
              clientId: String(details.params.client_id),
            });
        const missing = details.prompt.details.missingOIDCScope as string[] | undefined;
        if (missing) grant.addOIDCScope(missing.join(" "));
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId: await grant.save() } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      callback(req, res);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((r) => asServer.listen(asPort, "127.0.0.1", () => r()));

  let delay = 0;
  const apiCalls: ThirdParty["apiCalls"] = [];
  const api: FastifyInstance = Fastify();
  api.addContentTypeParser("*", { parseAs: "string" }, (_req, body, done) => done(null, body));
  api.addHook("onRequest", async (request, reply) => {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const auth = request.headers.authorization;
    const bearer = /^Bearer (.+)$/.exec(auth ?? "")?.[1];
    const okToken = bearer
      ? ((await provider.AccessToken.find(bearer)) ?? (await provider.ClientCredentials.find(bearer)))
      : undefined;
    const okKey = request.headers["x-api-key"] === API_KEY;
    if (!okToken && !okKey) return reply.status(401).send({ error: "invalid_token" });
  });
  // A provider's error answers in the shapes providers use: a JSON object, plain text, a JSON array.
  api.get("/api/fail/:code", async (request, reply) => {
    const { code } = request.params as { code: string };
    const kind = (request.query as { kind?: string }).kind;
    if (kind === "text") return reply.status(Number(code)).type("text/plain").send("upstream exploded");
    if (kind === "array") return reply.status(Number(code)).send([{ field: "name", error: "required" }]);
    return reply
      .status(Number(code))
      .send({ error: "not_found", message: "No such contact", detail: { id: 7 } });
  });
  // Successful answers in every shape providers use, for the proxy's ProxyResponseApiModel.
  api.get("/api/shape/:kind", async (request, reply) => {
    const { kind } = request.params as { kind: string };
    const json = (status: number, value: unknown) =>
      reply.status(status).type("application/json").send(JSON.stringify(value));
    switch (kind) {
      case "no-content":
        return reply.status(204).send();
      case "accepted":
        return json(202, { queued: true });
      case "partial":
        return reply.status(206).type("text/plain").send("abc");
      case "empty":
        return reply.status(200).type("application/json").send("");
      case "text":
        return reply.status(200).type("text/csv; charset=utf-8").send("id,name\n1,Ada\n");
      case "html":
        return reply.status(200).type("text/html").send("<p>hi</p>");
      case "objects":
        return json(200, [{ id: 1 }, { id: 2 }]);
      case "scalars":
        return json(200, [1, 2, 3]);
      case "mixed":
        return json(200, [{ id: 1 }, 2]);
      case "string":
        return json(200, "hello");
      case "number":
        return json(200, 42);
      case "boolean":
        return json(200, false);
      case "null":
        return json(200, null);
      case "gzip":
        return reply
          .status(200)
          .type("application/json")
          .header("content-encoding", "gzip")
          .send(gzipSync(JSON.stringify({ zipped: true })));
      case "binary":
        return reply
          .status(200)
          .type("image/png")
          .send(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]));
      case "redirect":
        return reply.status(302).header("location", "https://example.invalid/elsewhere").send();
      default:
        return reply.status(404).send({ message: "no such shape" });
    }
  });
  api.all("/api/*", async (request, reply) => {
    apiCalls.push({
      authorization: request.headers.authorization ?? (request.headers["x-api-key"] as string | undefined),
      url: request.url,
      method: request.method,
      body: typeof request.body === "string" ? request.body : JSON.stringify(request.body ?? null),
      headers: { ...request.headers },
    });
    return reply
      .status(request.method === "POST" ? 201 : 200)
      .header("x-provider", "test")
      .send({ path: request.url, method: request.method, contacts: [{ id: "c1", name: "Ada" }] });
  });
  const apiPort = await freePort();
  await api.listen({ port: apiPort, host: "127.0.0.1" });
  const apiUrl = `http://127.0.0.1:${apiPort}`;

  const catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-tp-catalog-"));
  fs.mkdirSync(path.join(catalogDir, "logos"));
  fs.writeFileSync(path.join(catalogDir, "logos", "test.svg"), LOGO);
  fs.writeFileSync(
    path.join(catalogDir, "test-oauth.yaml"),
    `key: test-oauth
name: Test OAuth
categories: [crm]
logo: test.svg
docs: ${asUrl}/docs
sources: [${asUrl}/docs]
auth:
  scheme: oauth2
  oauth2:
    grant: authorization_code
    authorize_url: ${asUrl}/auth
    token_url: ${asUrl}/token
    scopes: [contacts.read]
    token_auth: client_secret_basic
    pkce: true
api:
  base_url: ${apiUrl}/api
  inject: { bearer: "{{access_token}}" }
`,
  );
  // A client-credentials API whose end user pastes their own client id and secret (the Personio
  // and Greenhouse Harvest v3 pattern).
  fs.writeFileSync(
    path.join(catalogDir, "test-cc.yaml"),
    `key: test-cc
name: Test Client Credentials
categories: [hris]
logo: test.svg
docs: ${asUrl}/docs
sources: [${asUrl}/docs]
auth:
  scheme: oauth2
  fields:
    - { key: client_id, label: Client ID, type: text }
    - { key: client_secret, label: Client secret, type: password }
  oauth2:
    grant: client_credentials
    token_url: ${asUrl}/token
    scopes: [contacts.read]
    token_auth: client_secret_basic
    pkce: false
api:
  base_url: ${apiUrl}/api
  inject: { bearer: "{{access_token}}" }
`,
  );
  fs.writeFileSync(
    path.join(catalogDir, "test-key.yaml"),
    `key: test-key
name: Test Key
categories: [hris]
logo: test.svg
docs: ${apiUrl}/docs
sources: [${apiUrl}/docs]
auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${apiUrl}/api
  inject: { headers: { X-Api-Key: "{{api_key}}" } }
verify: { path: /me }
`,
  );

  return {
    asUrl,
    apiUrl,
    catalogDir,
    grants,
    apiCalls,
    failTokenRequests: (n, status, body) => {
      failures = { n, status, body };
    },
    setApiDelay: (ms) => {
      delay = ms;
    },
    close: async () => {
      await api.close();
      await new Promise((r) => asServer.close(r));
      fs.rmSync(catalogDir, { recursive: true, force: true });
    },
  };
}

/**
 * Follows an OAuth popup from Portico's start URL through the authorization server and back,
 * keeping the server's cookies like a browser would. Returns the final Location.
 */
export async function runPopup(startUrl: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = startUrl;
  for (let hop = 0; hop < 20; hop++) {
    const u = new URL(url);
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { redirect: "manual", headers: cookie ? { cookie } : {} });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const i = pair!.indexOf("=");
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) {
      throw new Error(
        `popup stopped at ${u.pathname} with ${res.status}: ${(await res.text()).slice(0, 300)}`,
      );
    }
    url = new URL(location, url).toString();
    if (new URL(url).pathname === "/embedded/accounts/callback") return url;
  }
  throw new Error("too many redirects");
}
