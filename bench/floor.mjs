#!/usr/bin/env node
import { createCipheriv, createDecipheriv, hash, randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
// The floor: the least work each hot path must do, in a bare Fastify handler, on the project's own
// dependencies. A ratio to the bare baseline measured with this file is what the design can reach.
//
//   node bench/floor.mjs <bare|create|authenticate|get> [port]    (from the project root)
//
// create:       Basic auth (sha256 + Map), JSON body checks, 32 random bytes, sha256, one SQLite insert
//               (rows of one event-loop turn in one transaction), the full ConnectSessionTokenAuthLink JSON.
// authenticate: Basic auth, sha256 of the token, one indexed SELECT, the ConnectSession JSON.
// get:          Basic auth, one indexed SELECT by id and project, a LinkedAccount JSON.
// proxy:        POST /unified/proxy: Basic auth, the account row by id and project, AES-256-GCM decryption of its
//               credential, one keep-alive HTTP request to the provider (FLOOR_UPSTREAM, default
//               http://127.0.0.1:4902) with that credential, the provider's JSON parsed and answered as
//               StackOne's {status, headers, data}.
// upstream:     the provider the proxy floor calls: GET /items answers a small JSON list (also the proxy's baseline).
// bare:         the same JSON shape with no work (the baseline).
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "package.json"));
const Fastify = require("fastify");
const Database = require("better-sqlite3");
const [mode = "create", port = "4900"] = process.argv.slice(2);

const file = join(tmpdir(), `portico-floor-${process.pid}.db`);
const db = new Database(file);
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec(`create table s (id integer primary key, project_id text, token_hash text unique, owner text, name text,
  metadata text, expires_at integer, created_at integer);
  create table a (id text primary key, project_id text, provider text, owner text, name text, status text,
  label text, metadata text, created_at integer, updated_at integer)`);
const insert = db.prepare(
  "insert into s (project_id, token_hash, owner, name, metadata, expires_at, created_at) values (?,?,?,?,?,?,?)",
);
const byToken = db.prepare("select * from s where token_hash = ?");
const byId = db.prepare("select * from a where id = ? and project_id = ?");
const seed = db.transaction(() => {
  for (let i = 0; i < 1000; i++)
    insert.run(
      "proj_1",
      hash("sha256", `cst_${i}`),
      `owner-${i}`,
      "Acme",
      null,
      Date.now() + 3.6e6,
      Date.now(),
    );
  const ins = db.prepare("insert into a values (?,?,?,?,?,?,?,?,?,?)");
  for (let i = 0; i < 1000; i++)
    ins.run(
      `acc_${i}`,
      "proj_1",
      "bamboohr",
      `owner-${i}`,
      "Acme",
      "active",
      null,
      '{"plan":"pro"}',
      Date.now(),
      Date.now(),
    );
});
seed();
const keys = new Map([[hash("sha256", "sk_floor"), { projectId: "proj_1", organizationId: 1 }]]);
const iso = (ms) => new Date(ms).toISOString();
const fail = (reply, code) =>
  reply.code(code).send({ statusCode: code, message: "no", timestamp: iso(Date.now()) });
function principal(req) {
  const h = req.headers.authorization;
  if (!h?.startsWith("Basic ")) return undefined;
  const user = Buffer.from(h.slice(6), "base64").toString("utf8");
  const colon = user.indexOf(":");
  return keys.get(hash("sha256", colon < 0 ? user : user.slice(0, colon)));
}
let queue = [];
const flush = db.transaction((rows) => {
  for (const r of rows) r.id = insert.run(...r.values).lastInsertRowid;
});
const grouped = (values) =>
  new Promise((resolve) => {
    const row = { values, resolve };
    if (queue.push(row) === 1)
      setImmediate(() => {
        const q = queue;
        queue = [];
        flush(q);
        for (const r of q) r.resolve(r.id);
      });
  });
const session = (r, p) => ({
  id: r.id,
  organization_id: p.organizationId,
  project_id: r.project_id,
  origin_owner_id: r.owner,
  origin_owner_name: r.name,
  origin_username: null,
  categories: null,
  provider: null,
  account_id: null,
  label: null,
  metadata: r.metadata === null ? null : JSON.parse(r.metadata),
  type: "production",
  multiple: false,
  integration_id: null,
  expires_in: 1800,
  expires_at: iso(r.expires_at),
  created_at: iso(r.created_at),
});

const app = Fastify({ logger: false });
app.post("/connect_sessions", async (req, reply) => {
  const b = req.body;
  if (mode === "bare")
    return reply.code(201).send({
      ...session(
        {
          id: 1,
          project_id: "proj_1",
          owner: b.origin_owner_id,
          name: b.origin_owner_name,
          metadata: null,
          expires_at: 0,
          created_at: 0,
        },
        { organizationId: 1 },
      ),
      token: "cst_x",
      auth_link_url: "http://localhost:4000/embedded/integrations?token=cst_x",
    });
  const p = principal(req);
  if (!p) return fail(reply, 401);
  if (typeof b?.origin_owner_id !== "string" || typeof b.origin_owner_name !== "string")
    return fail(reply, 400);
  const token = `cst_${randomBytes(32).toString("base64url")}`;
  const now = Date.now();
  const metadata = b.metadata === undefined ? null : JSON.stringify(b.metadata);
  const id = await grouped([
    "proj_1",
    hash("sha256", token),
    b.origin_owner_id,
    b.origin_owner_name,
    metadata,
    now + 1.8e6,
    now,
  ]);
  return reply.code(201).send({
    ...session(
      {
        id,
        project_id: p.projectId,
        owner: b.origin_owner_id,
        name: b.origin_owner_name,
        metadata,
        expires_at: now + 1.8e6,
        created_at: now,
      },
      p,
    ),
    token,
    auth_link_url: `http://localhost:4000/embedded/integrations?token=${token}`,
  });
});
app.post("/connect_sessions/authenticate", (req, reply) => {
  const p = principal(req);
  if (!p) return fail(reply, 401);
  const r = byToken.get(hash("sha256", String(req.body?.token)));
  if (!r || r.project_id !== p.projectId) return fail(reply, 400);
  reply.code(201).send(session(r, p));
});
app.get("/accounts/:id", (req, reply) => {
  const p = principal(req);
  if (!p) return fail(reply, 401);
  const r = byId.get(req.params.id, p.projectId);
  if (!r) return fail(reply, 404);
  reply.send({
    id: r.id,
    provider: r.provider,
    provider_name: "BambooHR",
    origin_owner_id: r.owner,
    origin_owner_name: r.name,
    origin_username: null,
    status: r.status,
    status_reasons: [],
    type: "production",
    label: r.label,
    metadata: JSON.parse(r.metadata),
    setup_information: {},
    created_at: iso(r.created_at),
    updated_at: iso(r.updated_at),
  });
});
// The proxy: credentials sealed as Portico seals them (AES-256-GCM, 12-byte IV, AAD naming the row).
const dek = randomBytes(32);
const seal = (plain, aad) => {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", dek, iv).setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), ct]).toString("base64url");
};
const open = (sealed, aad) => {
  const b = Buffer.from(sealed, "base64url");
  const d = createDecipheriv("aes-256-gcm", dek, b.subarray(0, 12)).setAAD(Buffer.from(aad));
  d.setAuthTag(b.subarray(12, 28));
  return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString("utf8");
};
if (mode === "proxy") {
  db.exec("alter table a add column credentials text");
  const setCred = db.prepare("update a set credentials = ? where id = ?");
  db.transaction(() => {
    for (let i = 0; i < 1000; i++)
      setCred.run(seal(JSON.stringify({ api_key: `key-${i}` }), `accounts:acc_${i}:credentials`), `acc_${i}`);
  })();
}
const byIdCred =
  mode === "proxy"
    ? db.prepare("select id, provider, credentials from a where id = ? and project_id = ?")
    : null;
const upstream = process.env.FLOOR_UPSTREAM ?? "http://127.0.0.1:4902";
const { Agent, request } = mode === "proxy" ? require("undici") : {};
const agent = mode === "proxy" ? new Agent({ keepAliveTimeout: 30_000, connections: 64 }) : null;
const HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "set-cookie",
  "content-length",
  "content-encoding",
]);
app.post("/unified/proxy", async (req, reply) => {
  const p = principal(req);
  if (!p) return fail(reply, 401);
  const r = byIdCred.get(String(req.headers["x-account-id"]), p.projectId);
  if (!r) return fail(reply, 404);
  const b = req.body;
  if (typeof b?.path !== "string") return fail(reply, 400);
  const cred = JSON.parse(open(r.credentials, `accounts:${r.id}:credentials`));
  const res = await request(upstream + b.path, {
    method: (b.method ?? "get").toUpperCase(),
    dispatcher: agent,
    headers: { authorization: `Bearer ${cred.api_key}`, accept: "application/json" },
  });
  const data = await res.body.json();
  const headers = {};
  for (const [k, v] of Object.entries(res.headers)) if (!HOP.has(k)) headers[k] = v;
  reply.send({ status: res.statusCode, headers, data });
});
if (mode === "upstream") {
  app.get("/items", async () => ({
    items: [
      { id: 1, name: "Ada" },
      { id: 2, name: "Grace" },
    ],
    next: null,
  }));
}
process.on("SIGTERM", () => {
  db.close();
  rmSync(file, { force: true });
  for (const s of ["-wal", "-shm"]) rmSync(file + s, { force: true });
  process.exit(0);
});
await app.listen({ port: Number(port), host: "127.0.0.1" });
console.error(
  `floor ${mode} on 127.0.0.1:${port}; API key sk_floor, tokens cst_0..cst_999, accounts acc_0..acc_999`,
);
