import { type ChildProcess, execFile, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";

export const BIN = path.resolve(import.meta.dirname, "../../bin/portico.js");

export type CliResult = { code: number; stdout: string; stderr: string };

/**
 * What every spawned Portico gets unless a test says otherwise: no env file, so a developer's own
 * `.env` in the clone never leaks into a test (the tests of the env file name theirs).
 */
const HERMETIC = { PORTICO_ENV_FILE: "" };

/** Runs `portico <args>` as a user would, with the given environment on top of the current one. */
export function portico(
  args: string[],
  env: Record<string, string>,
  opts: { cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...HERMETIC, ...env }, timeout: 60_000, cwd: opts.cwd },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export type ServeProcess = {
  child: ChildProcess;
  url: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
};

/**
 * Spawns a server and resolves once `readyUrl` answers 2xx (within 30 s), with its output kept;
 * fails with that output if it exits or never gets ready.
 */
export async function spawnUntilReady(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  readyUrl: string,
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${out}`);
    try {
      if ((await fetch(readyUrl)).ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out };
}

/** `portico serve [args]` in its own process; resolves once it answers /healthz. */
export async function spawnServe(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const port = env.PORTICO_PORT ? Number(env.PORTICO_PORT) : await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { child, output } = await spawnUntilReady(
    "portico serve",
    process.execPath,
    [BIN, "serve", ...args],
    { ...process.env, ...HERMETIC, PORTICO_PORT: String(port), ...env },
    `${url}/healthz`,
  );
  return {
    child,
    url,
    output,
    stop: (signal = "SIGTERM") =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

/** The API key a first start prints once, or undefined. Never stripped of colours: it must copy clean. */
export function firstStartKey(output: string): string | undefined {
  return /API key \(shown once, store it now\): (sk_[A-Za-z0-9_-]+)$/m.exec(output)?.[1];
}
