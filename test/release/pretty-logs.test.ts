import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REQUIRE_ALL } from "../helpers/env.js";
import { BIN, firstStartKey, freePort } from "../helpers/processes.js";
import {
  cleanEnv,
  cmdline,
  descendants,
  type Started,
  start,
  waitFor,
  waitReady,
} from "../helpers/release.js";

/**
 * What a person sees in a terminal, and what a log collector gets from a pipe. The terminal is a
 * real pseudo-terminal: util-linux's `script` runs `portico serve` on one.
 */

const SCRIPT = "/usr/bin/script";
const hasScript = fs.existsSync(SCRIPT);
if (!hasScript)
  console.warn(
    `\n!! ${SCRIPT} (util-linux) not found: the pseudo-terminal log tests will be skipped${REQUIRE_ALL ? " and counted as failed" : ""}.\n`,
  );

const ESC = "\x1b";
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, "g");
const plain = (s: string) => s.replace(ANSI, "").replace(/\r/g, "");

const dirs: string[] = [];
const started: Started[] = [];
afterAll(() => {
  for (const p of started) p.child.kill("SIGKILL");
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** `portico serve` on a fresh data directory, on a pseudo-terminal or a pipe; stopped by SIGTERM. */
async function serve(on: "terminal" | "pipe", env: Record<string, string> = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-logs-"));
  dirs.push(dir);
  const port = await freePort();
  const environment = cleanEnv({
    PORTICO_ENV_FILE: "",
    PORTICO_DATA_DIR: dir,
    PORTICO_PORT: String(port),
    PORTICO_SHUTDOWN_DRAIN_MS: "100",
    TERM: "xterm-256color",
    ...env,
  });
  delete environment.NO_COLOR;
  delete environment.FORCE_COLOR;
  const p =
    on === "terminal"
      ? start(SCRIPT, ["-qfec", `exec ${process.execPath} ${BIN} serve`, "/dev/null"], { env: environment })
      : start(process.execPath, [BIN, "serve"], { env: environment });
  started.push(p);
  await waitReady(`http://127.0.0.1:${port}/readyz`, p);
  await waitFor(p, "Portico listening");
  // Under script, the server is its child: signal it, not script.
  const pid =
    on === "terminal" ? descendants(p.child.pid!).find((d) => cmdline(d).includes(BIN))! : p.child.pid!;
  const stop = async () => {
    process.kill(pid, "SIGTERM");
    expect(await p.exited).toBe(0);
    return p.output();
  };
  return { p, port, stop };
}

describe.skipIf(!hasScript && !REQUIRE_ALL)("logs on a terminal", () => {
  it("are coloured lines for people, with the banner readable among them", async () => {
    const { p, port, stop } = await serve("terminal");
    const out = await stop();
    const text = plain(out);
    // Coloured: the level is painted.
    expect(out).toContain(`${ESC}[32mINFO`);
    expect(out).toContain(`${ESC}[33mWARN`);
    // No JSON line anywhere.
    expect(text.split("\n").filter((l) => l.trimStart().startsWith("{"))).toEqual([]);
    const lines = text.split("\n");
    expect(lines.find((l) => l.includes("Portico listening"))).toMatch(
      new RegExp(
        `^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  Portico listening address=http://127\\.0\\.0\\.1:${port} `,
      ),
    );
    expect(lines.find((l) => l.includes("generated a new encryption keyring"))).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}generated a new encryption keyring; .* file=\S+\/keyring$/,
    );
    expect(lines.find((l) => l.includes("shutting down"))).toMatch(
      /INFO {2}shutting down signal=SIGTERM drain_ms=100$/,
    );
    // The banner: its own lines, and the key copies clean.
    expect(text).toContain("Portico initialized a new database.");
    expect(firstStartKey(text)).toMatch(/^sk_/);
    expect(p.output()).toContain(`curl -s -u '${firstStartKey(text)}:'`);
  });

  it("are JSON on a terminal too with PORTICO_LOG_FORMAT=json", async () => {
    const { stop } = await serve("terminal", { PORTICO_LOG_FORMAT: "json" });
    const lines = plain(await stop()).split("\n");
    const json = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { msg: string });
    expect(json.map((l) => l.msg)).toEqual(expect.arrayContaining(["Portico listening", "shutting down"]));
    expect(lines).toContain("Portico initialized a new database.");
  });
});

describe("logs on a pipe", () => {
  it("are JSON lines for machines, and the banner is plain text among them", async () => {
    const { stop } = await serve("pipe");
    const out = await stop();
    expect(out).not.toContain(ESC);
    const lines = out.split("\n");
    const json = lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; level: number });
    expect(json.find((l) => l.msg === "Portico listening")?.level).toBe(30);
    expect(json.find((l) => l.msg === "shutting down")).toBeTruthy();
    expect(lines).toContain("Portico initialized a new database.");
    expect(firstStartKey(out)).toMatch(/^sk_/);
  });

  it("are pretty, without colours, with PORTICO_LOG_FORMAT=pretty", async () => {
    const { stop } = await serve("pipe", { PORTICO_LOG_FORMAT: "pretty" });
    const out = await stop();
    expect(out).not.toContain(ESC);
    expect(out.split("\n").filter((l) => l.startsWith("{"))).toEqual([]);
    expect(out).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}Portico listening /m);
  });
});
