import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firstStartKey, type ServeProcess, spawnServe } from "../helpers/processes.js";
import { basic } from "../helpers/test-server.js";

type Answer = { text: string; closedAfterMs: number };

/**
 * Opens a connection, writes `head`, then one byte of `drip` every `everyMs`, and resolves with
 * what the server answered once it closes the connection.
 */
function dripRequest(url: string, head: string, drip: string, everyMs: number): Promise<Answer> {
  const { port } = new URL(url);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    let text = "";
    let i = 0;
    let timer: NodeJS.Timeout | undefined;
    const socket = net.connect(Number(port), "127.0.0.1", () => {
      socket.write(head);
      timer = setInterval(() => {
        if (i < drip.length && socket.writable) socket.write(drip[i++]!);
      }, everyMs);
    });
    socket.on("data", (d) => {
      text += d;
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
    setTimeout(() => reject(new Error(`still open after 20 s; got: ${text}`)), 20_000).unref();
  });
}

const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));

/** A real `portico serve` with short HTTP time limits: slow clients are cut off with a 408. */
describe("slow clients are cut off", () => {
  let server: ServeProcess;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-slow-"));
    server = await spawnServe({
      PORTICO_DATA_DIR: dataDir,
      PORTICO_LOG_LEVEL: "warn",
      PORTICO_HTTP_REQUEST_TIMEOUT_MS: "1500",
      PORTICO_HTTP_HEADERS_TIMEOUT_MS: "1000",
      PORTICO_HTTP_KEEP_ALIVE_TIMEOUT_MS: "700",
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers a body sent one byte at a time with StackOne's 408 and closes the connection", async () => {
    const body = JSON.stringify({ origin_owner_id: "slow", origin_owner_name: "Slow" });
    const head =
      "POST /connect_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
      `Authorization: ${basic(firstStartKey(server.output())!)}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const answer = await dripRequest(server.url, head, body, 400);
    expect(answer.text.match(/HTTP\/1\.1/g)).toHaveLength(1);
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.text).toMatch(/connection: close/i);
    expect(bodyOf(answer.text)).toMatchObject({
      statusCode: 408,
      message: expect.stringMatching(/timed out/),
    });
    // 1.5 s allowed, checked every quarter of the headers timeout: cut well before the body ends.
    expect(answer.closedAfterMs).toBeLessThan(body.length * 400);
    expect(answer.closedAfterMs).toBeGreaterThanOrEqual(1400);
  });

  it("sends one answer only to a refused request whose body is still arriving", async () => {
    const head =
      "POST /connect_sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
      "Authorization: Basic c2tfbm9wZTo=\r\nContent-Length: 40\r\n\r\n";
    const answer = await dripRequest(server.url, head, "x".repeat(40), 300);
    expect(answer.text).toMatch(/^HTTP\/1\.1 401 /);
    expect(answer.text.match(/HTTP\/1\.1/g)).toHaveLength(1);
  });

  it("answers headers sent one byte at a time with StackOne's 408", async () => {
    const answer = await dripRequest(
      server.url,
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n",
      "X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n",
      300,
    );
    expect(answer.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(bodyOf(answer.text)).toMatchObject({ statusCode: 408 });
    expect(answer.closedAfterMs).toBeLessThan(5000);
  });

  it("closes an idle keep-alive connection after the keep-alive timeout", async () => {
    const answer = await dripRequest(
      server.url,
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
      "",
      1000,
    );
    expect(answer.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer.text).toMatch(/keep-alive: timeout=0/i);
    expect(answer.closedAfterMs).toBeLessThan(3000);
  });
});
