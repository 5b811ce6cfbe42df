import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import SqliteDatabase from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { firstStartKey, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { basic, type TestServer } from "../helpers/test-server.js";

type Sample = { at: number; status: number; connection: string | null; body: string; error?: string };

const DRAIN_MS = 1500;
const TIMEOUT_MS = 8000;

/**
 * Keeps `concurrency` API calls in flight, recording every answer, until `until()` says the load
 * balancer has stopped routing here (it saw /readyz answer 503).
 */
function load(url: string, apiKey: string, accountId: string, until: () => boolean, concurrency = 8) {
  const samples: Sample[] = [];
  let running = true;
  const worker = async () => {
    while (running && !until()) {
      const at = Date.now();
      try {
        const res = await fetch(`${url}/accounts/${accountId}`, {
          headers: { authorization: basic(apiKey) },
        });
        samples.push({
          at,
          status: res.status,
          connection: res.headers.get("connection"),
          body: await res.text(),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        samples.push({
          at,
          status: 0,
          connection: null,
          body: "",
          error: cause?.code ?? cause?.message ?? String(err),
        });
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(workers);
    },
  };
}

/** Opens a connection and starts a request without finishing its headers. */
function startRequest(url: string): Promise<{ finish(): Promise<string> }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    let text = "";
    let closed: () => void;
    const done = new Promise<void>((r) => {
      closed = r;
    });
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      resolve({
        finish: async () => {
          socket.write("\r\n");
          await done;
          return text;
        },
      });
    });
    socket.on("data", (d) => {
      text += d;
    });
    socket.on("close", () => closed());
    socket.on("error", reject);
  });
}

/**
 * SIGTERM under load, on a real `portico serve`: /readyz turns 503 at once while requests are
 * still served (with Connection: close) for the drain window, then the listener closes, in-flight
 * work finishes, a request still arriving gets StackOne's 503 body, leased webhook deliveries are
 * handed back, and the process exits 0 within the bound. No client sees a reset.
 */
describe("graceful shutdown on SIGTERM", () => {
  let server: ServeProcess;
  let rx: Receiver;
  let dataDir: string;
  let apiKey: string;
  let accountId: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-shutdown-"));
    rx = await startReceiver();
    rx.setDelay(1000);
    server = await spawnServe({
      PORTICO_DATA_DIR: dataDir,
      PORTICO_LOG_LEVEL: "info",
      PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
      PORTICO_WEBHOOK_POLL_MS: "20",
      PORTICO_SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      PORTICO_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
    });
    apiKey = firstStartKey(server.output())!;
    const add = await fetch(`${server.url}/portico/v1/webhooks`, {
      method: "POST",
      headers: { authorization: basic(apiKey), "content-type": "application/json" },
      body: JSON.stringify({ url: rx.url }),
    });
    expect(add.status).toBe(201);
    const s = { url: server.url, apiKey } as TestServer;
    const session = await createSession(s, { origin_owner_id: "term", origin_owner_name: "Term" });
    accountId = await linkSandboxHris(s, session.token);
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await rx?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("drains, closes, hands work back and exits within the bound, with no reset", async () => {
    // Webhook work leased by this node: a slow receiver keeps a lane busy with more claimed behind.
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${server.url}/accounts/${accountId}`, {
        method: "PATCH",
        headers: { authorization: basic(apiKey), "content-type": "application/json" },
        body: JSON.stringify({ label: `l-${i}` }),
      });
      expect(res.status).toBe(200);
    }
    // The balancer takes a few probes to notice: it stops routing here before the drain ends.
    let signalled = Number.POSITIVE_INFINITY;
    const traffic = load(server.url, apiKey, accountId, () => Date.now() > signalled + DRAIN_MS - 300);
    await new Promise((r) => setTimeout(r, 500));
    expect(traffic.samples.filter((s) => s.status === 200).length).toBeGreaterThan(10);

    const exited = new Promise<number | null>((r) => server.child.once("exit", (code) => r(code)));
    signalled = Date.now();
    server.child.kill("SIGTERM");

    // Draining: not ready, still serving.
    let ready: Response | undefined;
    for (let i = 0; i < 20 && ready?.status !== 503; i++) {
      ready = await fetch(`${server.url}/readyz`);
      if (ready.status !== 503) await new Promise((r) => setTimeout(r, 25));
    }
    expect(ready!.status).toBe(503);
    expect(Date.now() - signalled).toBeLessThan(DRAIN_MS / 2);
    expect(await ready!.json()).toMatchObject({ statusCode: 503, message: "shutting down" });
    const pending = await startRequest(server.url);

    // Closing: a request still arriving on an open connection gets StackOne's 503.
    await new Promise((r) => setTimeout(r, DRAIN_MS + 300 - (Date.now() - signalled)));
    const late = await pending.finish();
    expect(late).toMatch(/^HTTP\/1\.1 503 /);
    expect(late).toMatch(/connection: close/i);
    expect(late).toMatch(/retry-after: \d+/i);
    expect(JSON.parse(late.slice(late.indexOf("\r\n\r\n") + 4))).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/shutting down/),
    });

    expect(await exited).toBe(0);
    const tookMs = Date.now() - signalled;
    await traffic.stop();
    expect(tookMs).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(tookMs).toBeLessThan(TIMEOUT_MS);

    // Every call was answered, and in StackOne's shape; none saw a reset.
    const drained = traffic.samples.filter((s) => s.at > signalled + 100);
    expect(drained.length).toBeGreaterThan(10);
    expect(drained.every((s) => s.connection === "close")).toBe(true);
    for (const s of traffic.samples) {
      expect(s.error).toBeUndefined();
      if (s.status !== 200) {
        expect(s.status).toBe(503);
        expect(JSON.parse(s.body)).toMatchObject({ statusCode: 503 });
      }
    }

    // Leased work handed back: nothing is left leased by the stopped node.
    const db = new SqliteDatabase(path.join(dataDir, "portico.db"), { readonly: true });
    const leased = db
      .prepare("select count(*) as n from webhook_deliveries where lease_owner is not null")
      .get() as {
      n: number;
    };
    const waiting = db
      .prepare("select count(*) as n from webhook_deliveries where status = 'pending'")
      .get() as {
      n: number;
    };
    db.close();
    expect(leased.n).toBe(0);
    expect(waiting.n).toBeGreaterThan(0);
    expect(server.output()).toMatch(/"msg":"shutting down"/);
    expect(server.output()).not.toMatch(/"level":50/);
  }, 60_000);
});
