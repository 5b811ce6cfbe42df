// The backend of the example: it holds the Portico API key, opens connect sessions for the signed-in
// customer with StackOne's official SDK, lists that customer's linked accounts, and calls a provider
// through Portico's proxy. The React page (src/) only ever sees session tokens.
import path from "node:path";
import { StackOne } from "@stackone/stackone-client-ts";
import { HTTPClient } from "@stackone/stackone-client-ts/lib/http.js";
import * as errors from "@stackone/stackone-client-ts/sdk/models/errors/index.js";
import express from "express";

const PORTICO_URL = (process.env.PORTICO_URL ?? "http://localhost:4000").replace(/\/+$/, "");
const API_KEY = process.env.PORTICO_API_KEY;
const PORT = Number(process.env.PORT ?? 3000);
if (!API_KEY) {
  console.error("Set PORTICO_API_KEY to a Portico API key (the first `npm start` of Portico prints one).");
  process.exit(1);
}

// This demo app has one signed-in customer; a real app takes it from its own login session.
const CUSTOMER = {
  id: process.env.CUSTOMER_ID ?? "customer-1",
  name: process.env.CUSTOMER_NAME ?? "Acme Inc",
};

// TS SDK 4.32 and later return the proxy's answer as `proxyResponseApiModel`; 4.28 (the newest some
// registries carry) reads it and throws it away, so keep a copy of proxy answers with a hook.
const proxyAnswers = new WeakMap();
const httpClient = new HTTPClient();
httpClient.addHook("response", (res, req) => {
  if (new URL(req.url).pathname.endsWith("/unified/proxy")) proxyAnswers.set(res, res.clone());
});

const portico = new StackOne({
  serverURL: PORTICO_URL,
  security: { username: API_KEY, password: "" },
  httpClient,
  // A browser is waiting: fail fast rather than retry for up to an hour (the SDK's default).
  retryConfig: { strategy: "none" },
});

const app = express();
app.use(express.static(path.join(import.meta.dirname, "public")));

/** A connect session for the signed-in customer; the page gives its token to the hub. */
app.post("/api/connect-session", async (_req, res) => {
  const { connectSessionTokenAuthLink: session } = await portico.connectSessions.createConnectSession({
    originOwnerId: CUSTOMER.id,
    originOwnerName: CUSTOMER.name,
  });
  res.json({ token: session.token, portico: PORTICO_URL, customer: CUSTOMER });
});

/** Each provider's category, from the catalog (`connectors.listConnectorsMeta`), read once. */
let categories;
async function categoryOf(provider) {
  if (!categories) {
    const { classes: meta = [] } = await portico.connectors.listConnectorsMeta({});
    categories = new Map(meta.map((m) => [m.provider, m.category]));
  }
  return categories.get(provider) ?? null;
}

/** The signed-in customer's linked accounts (never their credentials: Portico keeps those). */
app.get("/api/accounts", async (_req, res) => {
  const { classes: accounts = [] } = await portico.accounts.listLinkedAccounts({
    originOwnerId: CUSTOMER.id,
  });
  res.json(
    await Promise.all(
      accounts.map(async (a) => ({
        id: a.id,
        provider: a.provider,
        providerName: a.providerName ?? a.provider,
        category: await categoryOf(a.provider),
        status: a.status,
        createdAt: a.createdAt.toISOString(),
      })),
    ),
  );
});

/**
 * One proxied call: the account's first employees, from the provider's own API (this path is the
 * Sandbox HRIS's; a real provider has its own). The account must be the customer's: the page could
 * send any id.
 */
app.get("/api/accounts/:id/employees", async (req, res) => {
  const { linkedAccount: account } = await portico.accounts.getAccount({ id: req.params.id });
  if (account.originOwnerId !== CUSTOMER.id) return res.status(404).json({ message: "no such account" });
  const result = await portico.proxy.proxyRequest({
    xAccountId: account.id,
    proxyRequestBody: { method: "get", path: "/employees?per_page=5" },
  });
  const answer = result.proxyResponseApiModel ?? (await proxyAnswers.get(result.rawResponse).json());
  res.status(answer.status >= 400 ? 502 : 200).json({ status: answer.status, data: answer.data });
});

// The SDK's typed errors carry Portico's status and message (StackOne's error body).
app.use((err, _req, res, _next) => {
  const status = err instanceof errors.NotFoundResponse ? 404 : 502;
  console.error(`portico call failed: ${err.message}`);
  res.status(status).json({ message: err.message });
});

app.listen(PORT, "127.0.0.1", () => {
  console.log(`example app on http://127.0.0.1:${PORT} (Portico at ${PORTICO_URL}, customer ${CUSTOMER.id})`);
});
