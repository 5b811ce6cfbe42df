import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { REQUIRE_ALL } from "./env.js";
import { freePort } from "./processes.js";
import { basic, type TestServer } from "./test-server.js";

export const EXAMPLES = path.resolve(import.meta.dirname, "../../examples");

/**
 * Whether an example's own dependencies are installed (`npm test` runs `npm ci` in each example
 * before the suites; see test/run.mjs). When they are not, the suite says so loudly and skips, and
 * PORTICO_TEST_REQUIRE_ALL=1 runs it anyway so that it fails.
 */
export function exampleInstalled(name: string): boolean {
  const ok = fs.existsSync(path.join(EXAMPLES, name, "node_modules", ".package-lock.json"));
  if (!ok)
    console.warn(
      `\n!! examples/${name} is not installed (cd examples/${name} && npm ci): its test is skipped${REQUIRE_ALL ? " and counted as failed" : ""}.\n`,
    );
  return ok || REQUIRE_ALL;
}

export type ExampleProcess = { child: ChildProcess; output: () => string; stop(): Promise<void> };

/** Starts `command` in the example's folder and resolves once its output matches `ready`. */
export async function startExample(
  name: string,
  command: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<ExampleProcess> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: path.join(EXAMPLES, name),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // A group of its own: `npm start` does not pass SIGTERM on to the program it runs.
    detached: true,
  });
  let out = "";
  const collect = (d: Buffer) => {
    out += d;
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const deadline = Date.now() + 30_000;
  while (!ready.test(out)) {
    if (child.exitCode !== null) throw new Error(`examples/${name} exited with ${child.exitCode}:\n${out}`);
    if (Date.now() > deadline) {
      process.kill(-child.pid!, "SIGKILL");
      throw new Error(`examples/${name} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        process.kill(-child.pid!, "SIGTERM");
      }),
  };
}

/** Waits until `check` holds, polling; fails with `what` after `ms`. */
export async function eventually(check: () => boolean, what: () => string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts something on a free port, again on another one if the port was taken in between (the
 * machine is shared: another process may bind it after freePort released it).
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      if (attempt >= 3 || !/EADDRINUSE|Address already in use/.test(String(err))) throw err;
    }
  }
}

/**
 * Starts an example that receives the test server's webhooks, on a free port: an endpoint is
 * registered for `http://127.0.0.1:<port>/webhooks` and its secret handed to `start`. When the
 * start fails (the port taken meanwhile) the endpoint is removed before the next try, or it would
 * deliver to someone else.
 */
export async function startWebhookExample(
  s: TestServer,
  start: (port: number, secret: string) => Promise<ExampleProcess>,
): Promise<{ example: ExampleProcess; base: string; secret: string }> {
  return onFreePort(async (port) => {
    const base = `http://127.0.0.1:${port}`;
    const res = await fetch(`${s.url}/portico/v1/webhooks`, {
      method: "POST",
      headers: { authorization: basic(s.apiKey), "content-type": "application/json" },
      body: JSON.stringify({ url: `${base}/webhooks` }),
    });
    if (res.status !== 201)
      throw new Error(`webhook endpoint not created: ${res.status} ${await res.text()}`);
    const endpoint = (await res.json()) as { id: string; secret: string };
    try {
      return { example: await start(port, endpoint.secret), base, secret: endpoint.secret };
    } catch (err) {
      await fetch(`${s.url}/portico/v1/webhooks/${endpoint.id}`, {
        method: "DELETE",
        headers: { authorization: basic(s.apiKey) },
      });
      throw err;
    }
  });
}
