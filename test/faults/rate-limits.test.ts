import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateId } from "../../src/crypto/tokens.js";
import { createTestDatabase, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { firstStartKey, portico, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

type Answer = { status: number; headers: Headers; body: string };

/** Sends `total` requests, `concurrency` at a time, spread over `urls` in turn. */
async function burst(urls: string[], total: number, init: RequestInit = {}, concurrency = 16) {
  const answers: Answer[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const url = urls[next++ % urls.length]!;
        const res = await fetch(url, init);
        answers.push({ status: res.status, headers: res.headers, body: await res.text() });
      }
    }),
  );
  return answers;
}

/** A 429 as StackOne sends it, with when to retry and the IETF fields (`hub`: with the hub's extra field). */
function expectTooMany(a: Answer, policy: string, hub = false) {
  expect(a.status).toBe(429);
  expect(Number(a.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  const body = JSON.parse(a.body);
  expect(Object.keys(body).sort()).toEqual(
    hub
      ? ["message", "provider_response", "statusCode", "timestamp"]
      : ["message", "statusCode", "timestamp"],
  );
  expect(body).toMatchObject({ statusCode: 429, message: expect.stringMatching(/^Too many requests/) });
  expect(a.headers.get("ratelimit")).toMatch(new RegExp(`^"${policy}";r=0;t=\\d+$`));
}

/**
 * Bursts over each limit against two `portico serve` processes on one PostgreSQL: the nodes share
 * their counts, so the two together let the limit through within 10%, and answer the rest with
 * StackOne's 429, Retry-After and the IETF RateLimit fields.
 */
describe.skipIf(!dialectAvailable("postgres"))("rate limits shared by two nodes on PostgreSQL", () => {
  let db: TestDatabase;
  const nodes: ServeProcess[] = [];
  const dirs: string[] = [];
  let apiKey: string;
  let hubToken: string;

  beforeAll(async () => {
    db = await createTestDatabase("postgres");
    const keys = `k1:${randomBytes(32).toString("base64")}`;
    for (let i = 0; i < 2; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-limits-"));
      dirs.push(dir);
      nodes.push(
        await spawnServe({
          PORTICO_DATABASE_URL: db.url,
          PORTICO_DATA_DIR: dir,
          PORTICO_ENCRYPTION_KEYS: keys,
          PORTICO_LOG_LEVEL: "warn",
          PORTICO_WORKERS: "false",
          PORTICO_RATE_LIMIT_PER_MINUTE: "300",
          PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE: "200",
        }),
      );
    }
    apiKey = firstStartKey(nodes[0]!.output())!;
    const s = { url: nodes[0]!.url, apiKey } as TestServer;
    hubToken = (await createSession(s, { origin_owner_id: "limits", origin_owner_name: "Limits" })).token;
  });
  afterAll(async () => {
    for (const n of nodes) await n.stop("SIGKILL");
    await db?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("lets 300 calls a minute of one API key through, across both nodes, within 10%", async () => {
    const answers = await burst(
      nodes.map((n) => `${n.url}/connectors/meta`),
      900,
      { headers: { authorization: basic(apiKey) } },
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(270);
    expect(ok.length).toBeLessThanOrEqual(330);
    expect(ok.length + answers.filter((a) => a.status === 429).length).toBe(900);
    for (const a of ok) {
      expect(a.headers.get("ratelimit-policy")).toBe('"api-key";q=300;w=60');
      expect(a.headers.get("ratelimit")).toMatch(/^"api-key";r=\d+;t=\d+$/);
    }
    for (const a of answers.filter((x) => x.status === 429)) expectTooMany(a, "api-key");
  });

  it("lets 200 hosted-page requests a minute of one address through, within 10%, and then refuses hub tokens too", async () => {
    const answers = await burst(
      nodes.map((n) => `${n.url}/embedded/integrations?token=cst_not-a-token`),
      600,
    );
    const pages = answers.filter((a) => a.status === 404);
    expect(pages.length).toBeGreaterThanOrEqual(180);
    expect(pages.length).toBeLessThanOrEqual(220);
    expect(pages.length + answers.filter((a) => a.status === 429).length).toBe(600);
    for (const a of answers.filter((x) => x.status === 429)) expectTooMany(a, "address");

    // Guessing hub tokens from that address is refused as well...
    const s = { url: nodes[1]!.url, apiKey } as TestServer;
    const guess = await hubFetch(s, "cst_guess", "/settings");
    expectTooMany(
      { status: guess.status, headers: guess.headers, body: await guess.text() },
      "address",
      true,
    );
    // ...while a hub user with a valid session is never limited.
    for (const n of nodes) {
      const res = await hubFetch({ url: n.url } as TestServer, hubToken, "/connectors");
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit")).toBeNull();
    }
  });
});

/** One node on SQLite: limits off by default, a project's own limit from the CLI. */
describe("per-project rate limit from the command line", () => {
  let server: ServeProcess;
  let dataDir: string;
  let apiKey: string;
  let projectId: string;
  const env = () => ({ PORTICO_DATA_DIR: dataDir, PORTICO_LOG_LEVEL: "warn" });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-limits-cli-"));
    server = await spawnServe({ ...env(), PORTICO_API_KEY_CACHE_SECONDS: "0", PORTICO_WORKERS: "false" });
    apiKey = firstStartKey(server.output())!;
    projectId = /project (proj_[A-Za-z0-9]+)/.exec(server.output())![1]!;
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const call = () => fetch(`${server.url}/accounts`, { headers: { authorization: basic(apiKey) } });

  it("is off by default: no RateLimit fields, no 429", async () => {
    const answers = await burst([`${server.url}/accounts`], 200, {
      headers: { authorization: basic(apiKey) },
    });
    expect(answers.every((a) => a.status === 200 && a.headers.get("ratelimit") === null)).toBe(true);
  });

  it("limits a project set with `portico projects update`, and follows the default again", async () => {
    const set = await portico(
      ["projects", "update", "--project", projectId, "--rate-limit-per-minute", "5", "--json"],
      env(),
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ project_id: projectId, rate_limit_per_minute: 5 });
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await call()).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);

    const list = await portico(["projects", "list", "--json"], env());
    expect(JSON.parse(list.stdout)[0].rate_limit_per_minute).toBe(5);
    const reset = await portico(
      ["projects", "update", "--project", projectId, "--rate-limit-per-minute", "default"],
      env(),
    );
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/PORTICO_RATE_LIMIT_PER_MINUTE/);
    const res = await call();
    expect(res.status).toBe(200);
    expect(res.headers.get("ratelimit")).toBeNull();

    const bad = await portico(
      ["projects", "update", "--project", projectId, "--rate-limit-per-minute", "-1"],
      env(),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--rate-limit-per-minute/);
  });
});

/** X-Forwarded-For names the client only when it comes from a trusted proxy. */
describe("client addresses behind a proxy", () => {
  let trusting: TestServer;
  let direct: TestServer;
  beforeAll(async () => {
    trusting = await startTestServer("sqlite", {
      PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE: "3",
      PORTICO_TRUSTED_PROXIES: "127.0.0.1",
    });
    direct = await startTestServer("sqlite", { PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE: "3" });
  });
  afterAll(async () => {
    await trusting?.close();
    await direct?.close();
  });

  const page = (s: TestServer, forwardedFor: string) =>
    fetch(`${s.url}/embedded/integrations?token=x`, { headers: { "x-forwarded-for": forwardedFor } }).then(
      (r) => r.status,
    );

  it("limits each forwarded client on its own when the proxy is trusted", async () => {
    const one = [];
    for (let i = 0; i < 4; i++) one.push(await page(trusting, "198.51.100.1"));
    expect(one).toEqual([404, 404, 404, 429]);
    expect(await page(trusting, "198.51.100.2")).toBe(404);
  });

  it("ignores X-Forwarded-For from anyone else", async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await page(direct, `198.51.100.${i + 10}`));
    expect(statuses).toEqual([404, 404, 404, 429]);
  });
});

/** A replay queues at most 1,000 events a call and 10,000 a minute per project. */
describe("webhook replay caps", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer("sqlite");
  });
  afterAll(() => s?.close());

  const replay = (since: string) =>
    fetch(`${s.url}/portico/v1/webhooks/replay`, {
      method: "POST",
      headers: { authorization: basic(s.apiKey), "content-type": "application/json" },
      body: JSON.stringify({ since }),
    });

  it("pages a large range by next_since and refuses past the minute's budget", async () => {
    const add = await fetch(`${s.url}/portico/v1/webhooks`, {
      method: "POST",
      headers: { authorization: basic(s.apiKey), "content-type": "application/json" },
      body: JSON.stringify({ url: "http://127.0.0.1:9/hooks" }),
    });
    expect(add.status).toBe(201);
    const start = Date.now() - 3600_000;
    const rows = Array.from({ length: 12_000 }, (_, i) => ({
      id: generateId("msg_", 16),
      project_id: s.projectId,
      type: "account.updated",
      payload: "{}",
      created_at: start + i,
    }));
    for (let i = 0; i < rows.length; i += 1000)
      await s.ctx.database.db
        .insertInto("webhook_events")
        .values(rows.slice(i, i + 1000))
        .execute();

    let since = new Date(start).toISOString();
    let queued = 0;
    for (let call = 0; call < 10; call++) {
      const res = await replay(since);
      expect(res.status).toBe(202);
      const body = await res.json();
      expect(body.events).toBe(1000);
      queued += body.events;
      since = body.next_since;
      expect(Date.parse(since)).toBe(start + queued);
    }
    const refused = await replay(since);
    expectTooMany(
      { status: refused.status, headers: refused.headers, body: await refused.text() },
      "replay-events",
    );
  });
});
