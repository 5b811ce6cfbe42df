import { createColors } from "picocolors";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";
import { prettyLine, wantsColors } from "./pretty-log.js";

const plain = createColors(false);
const coloured = createColors(true);
const at = new Date(2026, 11, 7, 9, 5, 3, 42).getTime();

describe("prettyLine", () => {
  it("renders a pino line as time, level, message and key=value fields", () => {
    const line = JSON.stringify({
      level: 30,
      time: at,
      pid: 7,
      hostname: "h",
      msg: "Portico listening",
      address: "http://127.0.0.1:4000",
      database: "sqlite /data/portico.db",
      background_jobs: true,
      worker_pids: [1, 2],
    });
    expect(prettyLine(line, plain, false)).toBe(
      '09:05:03.042 INFO  Portico listening address=http://127.0.0.1:4000 database="sqlite /data/portico.db" background_jobs=true worker_pids=[1,2]\n',
    );
    expect(prettyLine(line, plain, true)).toContain("INFO  [7] Portico listening");
  });

  it("colours the level (and dims the time and keys) only when asked", () => {
    const warn = JSON.stringify({ level: 40, time: at, msg: "careful", file: "/data/keyring" });
    expect(prettyLine(warn, coloured, false)).toBe(
      "\x1b[2m09:05:03.042\x1b[22m \x1b[33mWARN \x1b[39m careful \x1b[2mfile=\x1b[22m/data/keyring\n",
    );
    expect(prettyLine(warn, plain, false)).not.toContain("\x1b[");
  });

  it("puts an error's stack on indented lines below", () => {
    const line = JSON.stringify({
      level: 50,
      time: at,
      msg: "shutdown failed",
      err: { type: "Error", message: "boom", stack: "Error: boom\n    at x (y.js:1:1)" },
    });
    expect(prettyLine(line, plain, false)).toBe(
      "09:05:03.042 ERROR shutdown failed err=boom\n    Error: boom\n        at x (y.js:1:1)\n",
    );
  });

  it("passes a line that is not JSON through", () => {
    expect(prettyLine("plain text", plain, false)).toBe("plain text\n");
  });
});

describe("createLogger", () => {
  it("still redacts secrets in pretty lines", () => {
    const out: string[] = [];
    const fake = { isTTY: true, write: (s: string) => out.push(s) } as unknown as NodeJS.WriteStream;
    const original = process.stdout;
    Object.defineProperty(process, "stdout", { value: fake, configurable: true });
    try {
      createLogger("info", "pretty").info({ account: { credentials: { api_key: "s3cret" } } }, "linked");
    } finally {
      Object.defineProperty(process, "stdout", { value: original, configurable: true });
    }
    expect(out.join("")).toContain("linked");
    expect(out.join("")).toContain('"credentials":"[redacted]"');
    expect(out.join("")).not.toContain("s3cret");
  });

  it("follows NO_COLOR and FORCE_COLOR, else the terminal", () => {
    const tty = { isTTY: true } as NodeJS.WriteStream;
    const pipe = { isTTY: false } as NodeJS.WriteStream;
    expect(wantsColors(tty, {})).toBe(true);
    expect(wantsColors(pipe, {})).toBe(false);
    expect(wantsColors(tty, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColors(pipe, { FORCE_COLOR: "1" })).toBe(true);
  });
});
