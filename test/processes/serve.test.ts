import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTACTS, EMPLOYEES } from "../../src/sandbox/data.js";
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { firstStartKey, freePort, portico, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { basic } from "../helpers/test-server.js";

/**
 * `portico serve --processes 2` as a user runs it: one port, two workers, one primary. Every
 * request here opens a connection of its own (`connection: close`), so node:cluster hands
 * consecutive requests to different workers, as it would a crowd of clients.
 */

type Log = { msg: string; time: number; pid: number; [k: string]: unknown };

/**
 * The JSON log lines of every process so far: complete lines only (the last may still be arriving);
 * the banner and other text lines are skipped.
 */
function logs(p: ServeProcess): Log[] {
  return p
    .output()
    .split("\n")
    .slice(0, -1)
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Log);
}

async function waitForLog(p: ServeProcess, pred: (l: Log) => boolean, timeoutMs = 30_000): Promise<Log> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = logs(p).find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Once the primary says all workers listen and each worker has said so too (their lines and the
 * primary's reach the shared output in any order): the primary's line.
 */
async function serving(p: ServeProcess): Promise<Log> {
  const line = await waitForLog(p, (l) => l.msg === "Portico serving with 2 processes");
  for (const pid of line.worker_pids as number[])
    await waitForLog(p, (l) => l.msg === "Portico listening" && l.pid === pid);
  return line;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The parent of a process, from /proc. */
const parentOf = (pid: number) =>
  Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);

/** One request on a connection of its own. */
function call(
  url: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: unknown;
    form?: Record<string, string>;
  } = {},
) {
  const headers: Record<string, string> = { connection: "close", ...init.headers };
  let body: string | undefined;
  if (init.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.body);
  }
  return fetch(url, { method: init.method ?? (body ? "POST" : "GET"), headers, body, redirect: "manual" });
}

function serveEnv(db: TestDatabase, dataDir: string, port: number, extra: Record<string, string> = {}) {
  return {
    PORTICO_DATABASE_URL: db.url,
    PORTICO_DATA_DIR: dataDir,
    PORTICO_PORT: String(port),
    PORTICO_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PORTICO_LOG_LEVEL: "info",
    PORTICO_DATABASE_POOL_SIZE: "4",
    PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
    PORTICO_WEBHOOK_POLL_MS: "50",
    PORTICO_WEBHOOK_RETRY_BASE_MS: "100",
    PORTICO_SHUTDOWN_DRAIN_MS: "100",
    ...extra,
  };
}

/** Opens a session and links Sandbox HRIS through the hub API, as the quick start's user does. */
async function linkSandboxHris(url: string, apiKey: string, owner: string): Promise<string> {
  const session = await call(`${url}/connect_sessions`, {
    headers: { authorization: basic(apiKey) },
    body: { origin_owner_id: owner, origin_owner_name: "Acme Inc" },
  });
  expect(session.status).toBe(201);
  const { token } = (await session.json()) as { token: string };
  const link = await call(`${url}/hub/accounts`, {
    headers: { "x-hub-session-token": token },
    body: { integration_id: "sandbox-hris", credentials: { api_key: SANDBOX_HRIS_KEY } },
  });
  expect(link.status, await link.clone().text()).toBe(201);
  return ((await link.json()) as { id: string }).id;
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`portico serve --processes 2 on ${dialect}`, () => {
    let db: TestDatabase;
    let dataDir: string;
    let rx: Receiver;
    let server: ServeProcess;
    let apiKey: string;
    let workers: Log[];

    beforeAll(async () => {
      db = await createTestDatabase(dialect);
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-processes-"));
      rx = await startReceiver();
      server = await spawnServe(serveEnv(db, dataDir, await freePort()), ["--processes", "2"]);
      await serving(server);
      apiKey = firstStartKey(server.output())!;
    });
    afterAll(async () => {
      await server?.stop("SIGKILL");
      await rx?.close();
      await db?.drop();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("initializes once in the primary and forks two workers, one of them running the background jobs", async () => {
      const out = server.output();
      expect(out.match(/Portico initialized a new database\./g)).toHaveLength(1);
      expect(out.match(/API key \(shown once, store it now\)/g)).toHaveLength(1);
      expect(apiKey).toMatch(/^sk_/);
      workers = logs(server).filter((l) => l.msg === "Portico listening");
      expect(workers).toHaveLength(2);
      const pids = workers.map((w) => w.pid);
      expect(new Set(pids).size).toBe(2);
      for (const pid of pids) expect(parentOf(pid)).toBe(server.child.pid);
      expect(workers.map((w) => w.background_jobs).sort()).toEqual([false, true]);
      const serving = logs(server).find((l) => l.msg === "Portico serving with 2 processes")!;
      expect(serving.pid).toBe(server.child.pid);
      expect((serving.worker_pids as number[]).slice().sort()).toEqual(pids.slice().sort());
      // Both listen on the one port.
      for (const w of workers) expect(w.address).toBe(server.url);
    });

    it("keeps answering while a worker is down, and restarts it in its place", async () => {
      const plain = workers.find((w) => !w.background_jobs)!;
      process.kill(plain.pid, "SIGKILL");
      const exit = await waitForLog(server, (l) => l.msg === "worker exited unexpectedly; restarting it");
      expect(exit).toMatchObject({ worker_pid: plain.pid, signal: "SIGKILL", background_jobs: false });
      // The restart waits out a back-off; meanwhile the other worker answers everything.
      const statuses = [];
      for (let i = 0; i < 10; i++) statuses.push((await call(`${server.url}/healthz`)).status);
      expect(statuses).toEqual(Array(10).fill(200));
      const back = await waitForLog(server, (l) => l.msg === "worker restarted");
      expect(back.background_jobs).toBe(false);
      const pid = back.worker_pid as number;
      expect(pid).not.toBe(plain.pid);
      expect(alive(pid)).toBe(true);
      expect(alive(plain.pid)).toBe(false);
      expect(parentOf(pid)).toBe(server.child.pid);
      workers = workers.map((w) => (w === plain ? { ...w, pid } : w));
      // The first start is not repeated by a restarted worker.
      expect(server.output().match(/Portico initialized a new database\./g)).toHaveLength(1);
    });

    it("delivers each webhook once, and only from the worker that runs the jobs", async () => {
      const add = await call(`${server.url}/portico/v1/webhooks`, {
        headers: { authorization: basic(apiKey) },
        body: { url: rx.url },
      });
      expect(add.status).toBe(201);
      const accountId = await linkSandboxHris(server.url, apiKey, "webhook-owner");
      await rx.waitFor((r) => r.some((x) => x.body.includes(accountId)));
      // Time for a second process to send it again, had it been running the delivery job.
      await new Promise((r) => setTimeout(r, 1000));
      expect(rx.received.filter((x) => x.body.includes('"account.created"'))).toHaveLength(1);

      // With the jobs worker down, an event waits for its replacement: the other worker never sends.
      const jobs = workers.find((w) => w.background_jobs)!;
      process.kill(jobs.pid, "SIGKILL");
      await waitForLog(
        server,
        (l) => l.msg === "worker exited unexpectedly; restarting it" && l.worker_pid === jobs.pid,
      );
      const patch = await call(`${server.url}/accounts/${accountId}`, {
        method: "PATCH",
        headers: { authorization: basic(apiKey) },
        body: { label: "after the kill" },
      });
      expect(patch.status).toBe(200);
      await rx.waitFor((r) => r.some((x) => x.body.includes("after the kill")), 30_000);
      const restarted = await waitForLog(
        server,
        (l) => l.msg === "worker restarted" && l.background_jobs === true,
      );
      const back = await waitForLog(
        server,
        (l) => l.msg === "Portico listening" && l.pid === restarted.worker_pid,
      );
      expect(back.background_jobs).toBe(true);
      const delivered = rx.received.filter((x) => x.body.includes("after the kill"));
      expect(delivered).toHaveLength(1);
      expect(delivered[0]!.at).toBeGreaterThanOrEqual(back.time);
      workers = workers.map((w) => (w === jobs ? { ...w, pid: back.pid } : w));
    });

    it("stops every worker on SIGTERM and exits 0", async () => {
      const pids = workers.map((w) => w.pid);
      expect(pids.every(alive)).toBe(true);
      expect(await server.stop("SIGTERM")).toBe(0);
      for (const pid of pids) {
        expect(logs(server).some((l) => l.pid === pid && l.msg === "shutting down")).toBe(true);
        expect(alive(pid)).toBe(false);
      }
      expect(logs(server).filter((l) => l.msg === "worker did not stop cleanly")).toEqual([]);
    });
  });
}

describe("portico serve --processes on SQLite", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), "portico-processes-"));
    dirs.push(d);
    return d;
  };
  const servers: ServeProcess[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop("SIGKILL");
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const sqlite = (d: string): TestDatabase => ({
    url: `file:${path.join(d, "portico.db")}`,
    drop: async () => {},
  });

  it("runs the README's quick start with two processes: session, Sandbox HRIS through the hub, accounts, proxy", async () => {
    const d = dir();
    const s = await spawnServe(serveEnv(sqlite(d), d, await freePort()), ["--processes", "2"]);
    servers.push(s);
    await serving(s);
    const key = firstStartKey(s.output())!;
    const auth = { authorization: basic(key) };

    const created = await call(`${s.url}/connect_sessions`, {
      headers: auth,
      body: { origin_owner_id: "customer-1", origin_owner_name: "Acme Inc" },
    });
    expect(created.status).toBe(201);
    const session = (await created.json()) as { token: string; auth_link_url: string };
    // The auth link opens the hub on either worker.
    for (let i = 0; i < 2; i++) expect((await call(session.auth_link_url)).status).toBe(200);
    const connectors = await call(`${s.url}/hub/connectors`, {
      headers: { "x-hub-session-token": session.token },
    });
    expect(JSON.stringify(await connectors.json())).toContain("sandbox-hris");
    const link = await call(`${s.url}/hub/accounts`, {
      headers: { "x-hub-session-token": session.token },
      body: { integration_id: "sandbox-hris", credentials: { api_key: SANDBOX_HRIS_KEY } },
    });
    expect(link.status).toBe(201);
    const accountId = ((await link.json()) as { id: string }).id;

    for (let i = 0; i < 4; i++) {
      const list = await call(`${s.url}/accounts?origin_owner_id=customer-1`, { headers: auth });
      expect(list.status).toBe(200);
      expect(((await list.json()) as { id: string }[]).map((a) => a.id)).toEqual([accountId]);
      const proxied = await call(`${s.url}/unified/proxy`, {
        headers: { ...auth, "x-account-id": accountId },
        body: { method: "get", path: "/employees?per_page=5" },
      });
      expect(proxied.status).toBe(200);
      expect(((await proxied.json()) as { data: { data: unknown[] } }).data.data).toEqual(
        EMPLOYEES.slice(0, 5),
      );
    }
    expect(await s.stop("SIGTERM")).toBe(0);
  });

  it("links Sandbox CRM by OAuth whichever worker issues the code, redeems it and checks the token", async () => {
    const d = dir();
    const s = await spawnServe(serveEnv(sqlite(d), d, await freePort()), ["--processes", "2"]);
    servers.push(s);
    await serving(s);
    const auth = { authorization: basic(firstStartKey(s.output())!) };
    // Four links, each a chain of requests on connections of their own: with two workers taking
    // connections in turn, codes are issued on one worker and redeemed on the other.
    for (let i = 0; i < 4; i++) {
      const owner = `crm-owner-${i}`;
      const session = (await (
        await call(`${s.url}/connect_sessions`, {
          headers: auth,
          body: { origin_owner_id: owner, origin_owner_name: "CRM Co", provider: "sandbox-crm" },
        })
      ).json()) as { token: string };
      const hub = { "x-hub-session-token": session.token };
      const attempt = (await (
        await call(`${s.url}/hub/connection_attempts`, { headers: hub, body: { token: session.token } })
      ).json()) as { id: string };
      const back = encodeURIComponent(`${s.url}/embedded/accounts/callback`);
      const start = await call(
        `${s.url}/connect/oauth2/sandbox-crm?redirect_uri=${back}&token=${session.token}&connection_attempt_id=${attempt.id}`,
      );
      expect(start.status).toBe(302);
      const consent = new URL(start.headers.get("location")!, s.url);
      expect(consent.pathname).toBe("/sandbox/oauth/authorize");
      const allowed = await call(`${s.url}/sandbox/oauth/authorize`, {
        form: { ...Object.fromEntries(consent.searchParams), decision: "allow" },
      });
      expect(allowed.status).toBe(302);
      const callback = await call(allowed.headers.get("location")!);
      expect(callback.status, await callback.clone().text()).toBe(302);
      const view = (await (
        await call(`${s.url}/hub/connection_attempts/${attempt.id}`, { headers: hub })
      ).json()) as {
        status: string;
        account: { id: string };
      };
      expect(view.status).toBe("authenticated");
      for (let j = 0; j < 2; j++) {
        const contacts = await call(`${s.url}/unified/proxy`, {
          headers: { ...auth, "x-account-id": view.account.id },
          body: { method: "get", path: "/contacts" },
        });
        expect(contacts.status).toBe(200);
        expect(((await contacts.json()) as { data: unknown }).data).toEqual({ data: CONTACTS });
      }
    }
    expect(await s.stop("SIGTERM")).toBe(0);
  });

  it("exits 1 when a worker dies during the shutdown", async () => {
    const d = dir();
    const s = await spawnServe(
      serveEnv(sqlite(d), d, await freePort(), { PORTICO_SHUTDOWN_DRAIN_MS: "3000" }),
      ["--processes", "2"],
    );
    servers.push(s);
    const [victim] = (await serving(s)).worker_pids as number[];
    const exited = s.stop("SIGTERM");
    await waitForLog(s, (l) => l.pid === victim && l.msg === "shutting down");
    process.kill(victim!, "SIGKILL");
    expect(await exited).toBe(1);
    expect(logs(s).find((l) => l.msg === "worker did not stop cleanly")).toMatchObject({
      worker_pid: victim,
    });
  });

  it("refuses to start when the port is taken, and leaves no worker behind", async () => {
    const d = dir();
    const taken = net.createServer();
    const port = await new Promise<number>((r) =>
      taken.listen(0, "127.0.0.1", () => r((taken.address() as net.AddressInfo).port)),
    );
    try {
      const r = await portico(["serve", "--processes", "2"], serveEnv(sqlite(d), d, port));
      expect(r.code).toBe(1);
      const out = r.stdout + r.stderr;
      expect(out).toMatch(/EADDRINUSE|address already in use/);
      expect(out).toContain("a worker failed to start; stopping");
    } finally {
      taken.close();
    }
    // No process started with this data directory is left.
    const left = fs.readdirSync("/proc").filter((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        return fs.readFileSync(`/proc/${p}/environ`, "utf8").includes(`PORTICO_DATA_DIR=${d}\0`);
      } catch {
        return false;
      }
    });
    expect(left).toEqual([]);
  });

  it("refuses a bad --processes before starting anything", async () => {
    const d = dir();
    const r = await portico(["serve", "--processes", "0"], serveEnv(sqlite(d), d, await freePort()));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--processes: must be auto or an integer between 1 and 256");
    expect(fs.existsSync(path.join(d, "portico.db"))).toBe(false);
  });
});
