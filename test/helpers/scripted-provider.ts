import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { freePort } from "./processes.js";

/**
 * A provider API on 127.0.0.1 whose answers a test scripts: which API keys it accepts right now
 * (a key it stops accepting is a key revoked at the provider), and canned answers queued for the
 * next calls (429s with Retry-After, 503s...). It writes a catalog directory with two entries whose
 * verification request is `GET /me` (200 accepted, 401 refused): `scripted-key` sends the key in
 * `X-Api-Key`, `scripted-basic` as HTTP Basic (user `SCRIPTED_USER`, the key as password).
 */
export type Scripted = { status: number; headers?: Record<string, string>; body?: unknown };

export type ScriptedProvider = {
  url: string;
  catalogDir: string;
  /** Keys the provider accepts now. */
  keys: Set<string>;
  /** Answers for the next calls to any path but /me, first in first out. */
  queue: Scripted[];
  /** Answers for the next verification requests (/me), before the keys decide. */
  verifyQueue: Scripted[];
  /** Every request: method, path and when it arrived. */
  calls: { method: string; path: string; at: number }[];
  close(): Promise<void>;
};

export const SCRIPTED_KEY = "scripted-key-123";
export const SCRIPTED_USER = "scripted-user";

/** The key a request carries: `X-Api-Key`, or the password of HTTP Basic for SCRIPTED_USER. */
function keyOf(req: http.IncomingMessage): string | undefined {
  const header = req.headers["x-api-key"];
  if (typeof header === "string") return header;
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return decoded.slice(0, colon) === SCRIPTED_USER ? decoded.slice(colon + 1) : undefined;
}

export async function startScriptedProvider(): Promise<ScriptedProvider> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const state = {
    keys: new Set([SCRIPTED_KEY]),
    queue: [] as Scripted[],
    verifyQueue: [] as Scripted[],
    calls: [] as ScriptedProvider["calls"],
  };
  const server = http.createServer((req, res) => {
    const p = (req.url ?? "/").split("?")[0]!.replace(/^\/api/, "");
    state.calls.push({ method: req.method ?? "GET", path: p, at: Date.now() });
    req.resume();
    req.on("end", () => {
      const key = keyOf(req);
      const accepted = key !== undefined && state.keys.has(key);
      const send = (s: Scripted) => {
        res.writeHead(s.status, { "content-type": "application/json", ...(s.headers ?? {}) });
        res.end(JSON.stringify(s.body ?? { status: s.status }));
      };
      if (p === "/me") {
        const scripted = state.verifyQueue.shift();
        return send(scripted ?? (accepted ? { status: 200, body: { id: "me" } } : unauthorized));
      }
      const next = state.queue.shift();
      if (next) return send(next);
      send(accepted ? { status: 200, body: { data: [{ id: 1 }] } } : unauthorized);
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  const catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-scripted-"));
  fs.mkdirSync(path.join(catalogDir, "logos"));
  /** One catalog entry of this provider: its logo, and the YAML that differs between entries. */
  const entry = (key: string, name: string, category: string, logo: string, auth: string) => {
    fs.writeFileSync(
      path.join(catalogDir, "logos", `${key}.svg`),
      `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8">${logo}</svg>`,
    );
    fs.writeFileSync(
      path.join(catalogDir, `${key}.yaml`),
      `key: ${key}
name: ${name}
categories: [${category}]
logo: ${key}.svg
docs: ${url}/docs
sources: [${url}/docs]
${auth}verify: { path: /me, expect_status: 200, reject_status: 401 }
`,
    );
  };
  entry(
    "scripted-key",
    "Scripted Key",
    "hris",
    '<rect width="8" height="8"/>',
    `auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${url}/api
  inject: { headers: { X-Api-Key: "{{api_key}}" } }
`,
  );
  entry(
    "scripted-basic",
    "Scripted Basic",
    "ats",
    '<circle cx="4" cy="4" r="4"/>',
    `auth:
  scheme: basic
  fields:
    - { key: username, label: User name, type: text, secret: false }
    - { key: api_key, label: API key, type: password }
api:
  base_url: ${url}/api
  inject: { basic: { username: "{{username}}", password: "{{api_key}}" } }
`,
  );
  return {
    url,
    catalogDir,
    keys: state.keys,
    queue: state.queue,
    verifyQueue: state.verifyQueue,
    calls: state.calls,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(catalogDir, { recursive: true, force: true });
    },
  };
}

const unauthorized: Scripted = { status: 401, body: { message: "invalid API key" } };
