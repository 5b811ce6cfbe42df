import { type ChildProcess, execFile, spawn } from "node:child_process";
import fs from "node:fs";
import { expect } from "vitest";
import { EMPLOYEES } from "../../src/sandbox/data.js";
import { SANDBOX_HRIS_KEY } from "./hub.js";
import { firstStartKey } from "./processes.js";
import { basic } from "./test-server.js";

/** The environment without any PORTICO_* variable: what a user's shell has before they set one. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PORTICO_")));
  return { ...env, ...extra };
}

export type Run = { code: number; stdout: string; stderr: string };

/** A command's exit code and output; never throws. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === "number" ? err.code : 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

/** A command that must succeed: its stdout, or an error with everything it said. */
export async function must(
  cmd: string,
  args: string[],
  opts: Parameters<typeof run>[2] = {},
): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0)
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${r.code}:\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-4000)}`,
    );
  return r.stdout;
}

/** A long-running process whose output is kept. */
export type Started = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

export function start(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Started {
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Waits until `url` answers 200, failing early when the process has exited. */
export async function waitReady(url: string, p: Started, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.child.exitCode !== null)
      throw new Error(`exited with ${p.child.exitCode} before ${url}:\n${p.output()}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {}
    if (Date.now() > deadline)
      throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the output says `text`. */
export async function waitFor(p: Started, text: string | RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const has = () => (typeof text === "string" ? p.output().includes(text) : text.test(p.output()));
  while (!has()) {
    if (Date.now() > deadline) throw new Error(`no ${text} within ${timeoutMs} ms:\n${p.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every process below `pid`, from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

export const cmdline = (pid: number): string[] => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
};

export const uidOf = (pid: number): number =>
  Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);

/** The connect session command the first start's banner prints, as printed (continuation lines joined). */
export function bannerCurl(output: string): string {
  const lines = output.replace(/\r/g, "").split("\n");
  const start = lines.findIndex((l) => l.trimStart().startsWith("curl "));
  if (start < 0) throw new Error(`no curl command in:\n${output}`);
  const cmd: string[] = [];
  for (let i = start; i < lines.length; i++) {
    cmd.push(lines[i]!);
    if (!lines[i]!.trimEnd().endsWith("\\")) break;
  }
  return cmd.join("\n");
}

/**
 * The quick start, as a new user follows it: the session from the banner's own curl command, the
 * auth link's page, Sandbox HRIS linked through the hub API with the demo key, the account listed
 * for its owner, and its employees read through the proxy.
 */
export async function quickStart(
  url: string,
  output: string,
): Promise<{ apiKey: string; accountId: string }> {
  const apiKey = firstStartKey(output.replace(/\r/g, ""));
  expect(apiKey, output).toMatch(/^sk_/);
  const curl = bannerCurl(output);
  expect(curl).toContain(`${url}/connect_sessions`);
  const session = JSON.parse(await must("sh", ["-c", curl])) as { token: string; auth_link_url: string };
  expect(session.auth_link_url.startsWith(`${url}/`)).toBe(true);
  expect((await fetch(session.auth_link_url)).status).toBe(200);

  const link = await fetch(`${url}/hub/accounts`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-hub-session-token": session.token },
    body: JSON.stringify({ integration_id: "sandbox-hris", credentials: { api_key: SANDBOX_HRIS_KEY } }),
  });
  expect(link.status, await link.clone().text()).toBe(201);
  const accountId = ((await link.json()) as { id: string }).id;

  await expectAccount(url, apiKey!, accountId);
  return { apiKey: apiKey!, accountId };
}

/** The account is listed for customer-1 and reads Sandbox HRIS's employees through the proxy. */
export async function expectAccount(url: string, apiKey: string, accountId: string): Promise<void> {
  const auth = { authorization: basic(apiKey) };
  const list = await fetch(`${url}/accounts?origin_owner_id=customer-1`, { headers: auth });
  expect(list.status).toBe(200);
  expect(((await list.json()) as { id: string }[]).map((a) => a.id)).toEqual([accountId]);
  const proxied = await fetch(`${url}/unified/proxy`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json", "x-account-id": accountId },
    body: JSON.stringify({ method: "get", path: "/employees?per_page=3" }),
  });
  expect(proxied.status, await proxied.clone().text()).toBe(200);
  expect(((await proxied.json()) as { data: { data: unknown[] } }).data.data).toEqual(EMPLOYEES.slice(0, 3));
}

/**
 * The console from the banner's one-time link: signed in, its page loads the built script and
 * stylesheet (from dist/console in a release installation).
 */
export async function expectConsole(url: string, output: string): Promise<void> {
  const token = /\/console\/sign-in\?token=(pcl_[A-Za-z0-9_-]+)/.exec(output)?.[1];
  expect(token, output).toBeTruthy();
  const signIn = await fetch(`${url}/console/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: url },
    body: new URLSearchParams({ token: token! }).toString(),
    redirect: "manual",
  });
  expect(signIn.status).toBe(303);
  const cookie = signIn.headers.get("set-cookie")!.split(";")[0]!;
  const page = await fetch(`${url}/console/`, { headers: { cookie } });
  expect(page.status).toBe(200);
  const html = await page.text();
  const assets = [...html.matchAll(/\/console\/assets\/[^"]+/g)].map((m) => m[0]);
  expect(assets.some((a) => a.endsWith(".js")) && assets.some((a) => a.endsWith(".css")), html).toBe(true);
  for (const a of assets) expect((await fetch(`${url}${a}`)).status).toBe(200);
}
