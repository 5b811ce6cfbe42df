import { randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { loadConfig } from "../../src/config.js";
import { type Context, createContext } from "../../src/context.js";
import type { Dialect } from "../../src/db/database.js";
import { createTestDatabase, type TestDatabase } from "../helpers/dialects.js";
import { SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { connectOAuth, expireAccessToken } from "../helpers/oauth.js";
import { firstStartKey, freePort, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { basic, type TestServer } from "../helpers/test-server.js";
import { API_KEY, CLIENT, startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * One Portico as an operator runs it (`portico serve` in its own process) with real third parties
 * on loopback, and traffic that touches every series and span: sessions, hub links verified
 * against a provider, proxy calls, an OAuth connection, token refreshes that succeed, fail and are
 * refused, webhook deliveries (one refused, one endpoint that never answers), rate-limit refusals.
 * The traffic keeps count of what it did, for the metrics to be checked against.
 */

export type Portico = {
  server: ServeProcess;
  env: Record<string, string>;
  apiKey: string;
  projectId: string;
  metricsPort: number;
  /** A second context on the same database: the test's way to set up and inspect. */
  ctx: Context;
  tp: ThirdParty;
  close(): Promise<void>;
};

export async function startPortico(dialect: Dialect, extra: Record<string, string> = {}): Promise<Portico> {
  const db: TestDatabase = await createTestDatabase(dialect);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-telemetry-"));
  const port = await freePort();
  const metricsPort = await freePort();
  const tp = await startThirdParty([`http://127.0.0.1:${port}/oauth/callback`]);
  const env = {
    PORTICO_DATABASE_URL: db.url,
    PORTICO_DATA_DIR: dataDir,
    PORTICO_PORT: String(port),
    PORTICO_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PORTICO_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString("base64")}`,
    PORTICO_CATALOG_DIRS: tp.catalogDir,
    PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
    PORTICO_LOG_LEVEL: "warn",
    PORTICO_WEBHOOK_POLL_MS: "50",
    PORTICO_WEBHOOK_RETRY_BASE_MS: "100",
    PORTICO_WEBHOOK_TIMEOUT_MS: "60000",
    PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE: "40",
    PORTICO_METRICS_PORT: String(metricsPort),
    ...extra,
  };
  const server = await spawnServe(env);
  const apiKey = firstStartKey(server.output());
  if (!apiKey) throw new Error(`no API key in the first start's output:\n${server.output()}`);
  const ctx = await createContext(loadConfig(env), {
    logger: pino({ level: "silent" }),
    migrate: false,
    backgroundCheckpoints: false,
  });
  const [project] = await ctx.tenancy.listProjects();
  await ctx.integrations.enable(project!.project_id, "test-oauth", {
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
  });
  await ctx.integrations.enable(project!.project_id, "test-key");
  return {
    server,
    env,
    apiKey,
    projectId: project!.project_id,
    metricsPort,
    ctx,
    tp,
    close: async () => {
      // SIGKILL: a delivery to the endpoint that never answers would hold a graceful stop.
      await server.stop("SIGKILL");
      await ctx.close();
      await tp.close();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A webhook endpoint that takes requests and never answers them (until closed). */
async function startSilentEndpoint() {
  const server = http.createServer(() => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** The W3C trace context the first session create arrives with. */
export const INCOMING = {
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  header: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
};

/** Values that must never leave Portico in a metric label, span attribute or event. */
export const MARKERS = { query: "qv-3c1d9e7a", body: "bv-8f2a6b0c" };

export type Traffic = {
  sessionsCreated: number;
  sessionsAuthenticated: number;
  /** Proxy calls by provider and status (the provider's, or "error"). */
  proxy: Record<string, Record<string, number>>;
  refreshes: { success: number; error: number; rejected: number };
  rateLimited: number;
  accounts: { sandbox: string[]; key: string; oauth: string };
  /** Every secret the traffic used or received: none may appear in what Portico exports. */
  secrets: string[];
  webhooks: { delivered: () => number; retried: number; silentEndpoint: string };
  close(): Promise<void>;
};

export async function runTraffic(p: Portico): Promise<Traffic> {
  const url = p.server.url;
  const auth = { authorization: basic(p.apiKey), "content-type": "application/json" };
  const secrets = [p.apiKey, SANDBOX_HRIS_KEY, API_KEY, CLIENT.secret, MARKERS.query, MARKERS.body];
  let sessionsCreated = 0;
  const session = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${url}/connect_sessions`, {
      method: "POST",
      headers: { ...auth, ...headers },
      body: JSON.stringify({ origin_owner_id: `owner-${sessionsCreated}`, origin_owner_name: "Acme Inc" }),
    });
    if (res.status !== 201) throw new Error(`session: ${res.status} ${await res.text()}`);
    sessionsCreated++;
    const token = ((await res.json()) as { token: string }).token;
    secrets.push(token);
    return token;
  };
  const link = async (integration: string, credentials: Record<string, string>) => {
    const token = await session();
    const res = await fetch(`${url}/hub/accounts`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-session-token": token },
      body: JSON.stringify({ integration_id: integration, credentials }),
    });
    if (res.status !== 201) throw new Error(`link ${integration}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { id: string }).id;
  };
  const proxy: Traffic["proxy"] = {};
  const call = async (
    accountId: string,
    provider: string,
    body: Record<string, unknown>,
    counted: boolean | "error" = true,
  ) => {
    const res = await fetch(`${url}/unified/proxy`, {
      method: "POST",
      headers: { ...auth, "x-account-id": accountId },
      body: JSON.stringify(body),
    });
    await res.arrayBuffer();
    if (counted) {
      const status = counted === "error" ? "error" : String(res.status);
      proxy[provider] ??= {};
      proxy[provider][status] = (proxy[provider][status] ?? 0) + 1;
    }
    return res.status;
  };

  // Webhooks: an endpoint that refuses its first delivery, then takes every one.
  const rx: Receiver = await startReceiver();
  rx.refuseNext(1);
  const endpoint = await fetch(`${url}/portico/v1/webhooks`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ url: rx.url }),
  });
  if (endpoint.status !== 201) throw new Error(`webhook endpoint: ${endpoint.status}`);
  secrets.push(((await endpoint.json()) as { secret: string }).secret);

  // Sessions, one of them inside a trace the caller started.
  const traced = await session({ traceparent: INCOMING.header });
  await session();
  let sessionsAuthenticated = 0;
  for (const token of [traced, traced]) {
    const res = await fetch(`${url}/connect_sessions/authenticate`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ token }),
    });
    if (res.status === 201) sessionsAuthenticated++;
  }
  await fetch(`${url}/connect_sessions/authenticate`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ token: "cst_not-a-live-token" }),
  });

  // Accounts linked through the hub, each verified against its provider first.
  const sandbox = [await link("sandbox-hris", { api_key: SANDBOX_HRIS_KEY })];
  const key = await link("test-key", { api_key: API_KEY });

  // A route with an id in its path: counted under its template, never the id.
  await (await fetch(`${url}/accounts/${sandbox[0]}`, { headers: auth })).arrayBuffer();

  // Proxy calls: answers, a provider's 404 and 503, a query and a body that must stay private.
  await call(sandbox[0]!, "sandbox-hris", { path: `/employees?per_page=2&marker=${MARKERS.query}` });
  await call(sandbox[0]!, "sandbox-hris", { path: "/employees" });
  await call(sandbox[0]!, "sandbox-hris", { path: "/employees/nobody" });
  await call(key, "test-key", { path: "/fail/503" });
  await call(key, "test-key", { method: "POST", path: "/me", body: { secret: MARKERS.body } });
  // An account that is not there never reaches a provider.
  await call("acc_missing", "none", { path: "/" }, false);

  // OAuth: a connection through the provider's authorization server, then refreshes.
  const server = { url, apiKey: p.apiKey, config: { publicUrl: url } } as unknown as TestServer;
  const oauth = (await connectOAuth(server, "test-oauth")).accountId;
  sessionsCreated++;
  await call(oauth, "test-oauth", { path: "/contacts" });
  const refreshes = { success: 0, error: 0, rejected: 0 };
  await expireAccessToken(p.ctx, oauth);
  await call(oauth, "test-oauth", { path: "/contacts" });
  refreshes.success++;
  await expireAccessToken(p.ctx, oauth);
  p.tp.failTokenRequests(1, 503, { error: "temporarily_unavailable" });
  await call(oauth, "test-oauth", { path: "/contacts" }, false);
  refreshes.error++;
  p.tp.failTokenRequests(1, 400, { error: "invalid_grant", error_description: "revoked" });
  await call(oauth, "test-oauth", { path: "/contacts" }, false);
  refreshes.rejected++;
  const row = await p.ctx.accounts.rowForRefresh(p.projectId, oauth);
  const tokens = p.ctx.accounts.openSecrets(row!).tokens!;
  secrets.push(tokens.access_token, tokens.refresh_token!);
  for (const t of p.tp.received.token)
    for (const v of [t.code, t.refresh_token]) if (typeof v === "string") secrets.push(v);
  for (const q of p.tp.received.authorize) secrets.push(q.get("state")!, q.get("code_challenge")!);

  // A second endpoint that never answers: its delivery waits, and the backlog shows it.
  const silent = await startSilentEndpoint();
  const silentEndpoint = await fetch(`${url}/portico/v1/webhooks`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ url: silent.url }),
  });
  if (silentEndpoint.status !== 201) throw new Error(`webhook endpoint: ${silentEndpoint.status}`);
  secrets.push(((await silentEndpoint.json()) as { secret: string }).secret);
  sandbox.push(await link("sandbox-hris", { api_key: SANDBOX_HRIS_KEY }));
  // Every event reaches the first endpoint (account.created x4 and what the refreshes announced).
  const events = await p.ctx.database.db.selectFrom("webhook_events").select("id").execute();
  await rx.waitFor(() => rx.uniqueIds().size >= events.length);

  // Public pages past their per-address limit.
  let rateLimited = 0;
  for (let i = 0; i < 60; i++) {
    const res = await fetch(`${url}/embedded/integrations?token=cst_${MARKERS.query}`);
    await res.arrayBuffer();
    if (res.status === 429) rateLimited++;
  }

  return {
    sessionsCreated,
    sessionsAuthenticated,
    proxy,
    refreshes,
    rateLimited,
    accounts: { sandbox, key, oauth },
    secrets: secrets.filter((s) => typeof s === "string" && s.length >= 8),
    webhooks: { delivered: () => rx.received.length, retried: 1, silentEndpoint: silent.url },
    close: async () => {
      await rx.close();
      await silent.close();
    },
  };
}
