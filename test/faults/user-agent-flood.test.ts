import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstStartKey, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { basic } from "../helpers/test-server.js";

/** A User-Agent that made the old client detection backtrack: the SDK prefix, over and over. */
const ADVERSARIAL = "speakeasy-sdk/php 1.1.1\t".repeat(2600).slice(0, 63 * 1024);

/**
 * Eight clients, each on a keep-alive connection of its own, each sending a request every 40 ms
 * (25 a second, 200 together: fifty times the 4 a second that stalled a node) or as soon as the
 * last is answered if that takes longer; on SIGTERM they stop and print how many answers of each
 * status they got. Raw sockets and one prepared request keep the clients' own CPU small.
 */
const FLOOD = `
import net from "node:net";
const url = new URL(process.env.URL);
const request = Buffer.from(
  "GET " + url.pathname + " HTTP/1.1\\r\\nHost: " + url.host + "\\r\\nAuthorization: " + process.env.KEY +
    "\\r\\nUser-Agent: " + process.env.UA + "\\r\\n\\r\\n",
);
const statuses = {};
let running = true;
process.on("SIGTERM", () => { running = false; });
const client = () => new Promise((resolve) => {
  const socket = net.connect(Number(url.port), url.hostname);
  let buffered = Buffer.alloc(0);
  let sentAt = 0;
  const write = () => (running ? ((sentAt = Date.now()), socket.write(request)) : (socket.end(), resolve()));
  const send = () => setTimeout(write, Math.max(0, 40 - (Date.now() - sentAt)));
  socket.on("connect", send);
  socket.on("error", (err) => { statuses[err.code] = (statuses[err.code] ?? 0) + 1; resolve(); });
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const end = buffered.indexOf("\\r\\n\\r\\n");
      if (end === -1) return;
      const head = buffered.subarray(0, end).toString("latin1");
      const length = Number(/content-length: (\\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      const status = head.slice(9, 12);
      statuses[status] = (statuses[status] ?? 0) + 1;
      buffered = buffered.subarray(end + 4 + length);
      send();
    }
  });
});
await Promise.all(Array.from({ length: 8 }, client));
process.stdout.write(JSON.stringify(statuses));
`;

/**
 * Issue 18's done-when: a real `portico serve` stays responsive while 8 clients send StackOne
 * routes 63 KB adversarial user agents (about the most the 64 KB header limit lets through).
 * The old detection took /healthz from 3 ms to over a second with 4 such requests a second.
 */
/** A process's CPU time so far, user and system, in ms (Linux clock ticks are 10 ms). */
const cpuMs = (pid: number): number => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

describe("a flood of crafted User-Agent headers", () => {
  let server: ServeProcess;
  let dataDir: string;
  let apiKey: string;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-ua-"));
    server = await spawnServe({ PORTICO_DATA_DIR: dataDir, PORTICO_LOG_LEVEL: "warn" });
    apiKey = firstStartKey(server.output())!;
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps /healthz's p99 under 50 ms while 8 clients send 63 KB adversarial user agents", async () => {
    // The 8 clients run in a process of their own, so this one only measures /healthz.
    const flood = spawn(process.execPath, ["--input-type=module", "-e", FLOOD], {
      env: {
        ...process.env,
        URL: `${server.url}/connectors/meta/sandbox-hris`,
        KEY: basic(apiKey),
        UA: ADVERSARIAL,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let report = "";
    flood.stdout!.on("data", (d) => {
      report += d;
    });
    const done = new Promise((resolve) => flood.once("exit", resolve));
    const cpuBefore = cpuMs(server.child.pid!);
    await new Promise((r) => setTimeout(r, 1000));
    // Up to three windows of 3 s: the first whose p99 is under the bound ends the measurement. The
    // suite shares two cores with other files, whose bursts can cost one window its tail; the old
    // detection cost 0.2 to 1 s per crafted request, and lost every window by seconds.
    const windows: { p50: number; p99: number; n: number }[] = [];
    while (windows.length < 3 && !windows.some((w) => w.p99 < 50)) {
      const latencies: number[] = [];
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        const at = performance.now();
        const res = await fetch(`${server.url}/healthz`);
        await res.arrayBuffer();
        latencies.push(performance.now() - at);
        expect(res.status).toBe(200);
        await new Promise((r) => setTimeout(r, 10));
      }
      latencies.sort((a, b) => a - b);
      windows.push({
        p50: latencies[latencies.length >> 1]!,
        p99: latencies[Math.floor(latencies.length * 0.99)]!,
        n: latencies.length,
      });
    }
    const cpu = cpuMs(server.child.pid!) - cpuBefore;
    flood.kill("SIGTERM");
    await done;

    const statuses = JSON.parse(report || "{}") as Record<string, number>;
    const seen = windows.map((w) => `p50 ${w.p50.toFixed(1)} ms, p99 ${w.p99.toFixed(1)} ms`).join("; ");
    for (const w of windows) expect(w.n).toBeGreaterThan(70);
    // The flood was served, not refused: every call answered 200.
    expect(Object.keys(statuses)).toEqual(["200"]);
    expect(statuses["200"]).toBeGreaterThan(400);
    expect(Math.min(...windows.map((w) => w.p99)), seen).toBeLessThan(50);
    // What the server's CPU spent per crafted request (at most, counting /healthz too), whatever
    // else the machine runs: a few hundred microseconds parsing 63 KB of headers, where the old
    // detection spent 200 ms or more.
    expect(cpu / statuses["200"]!, `${cpu} ms of CPU for ${statuses["200"]} requests`).toBeLessThan(5);
  }, 60_000);
});
