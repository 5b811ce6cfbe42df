import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { REQUIRE_ALL } from "./env.js";
import { freePort } from "./processes.js";

/** Debian's PostgreSQL binaries (initdb, pg_ctl), or PORTICO_TEST_PG_BIN. */
export function pgBin(): string | null {
  if (process.env.PORTICO_TEST_PG_BIN) return process.env.PORTICO_TEST_PG_BIN;
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return null;
  const versions = fs.readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const found = versions
    .map((v) => path.join(root, v, "bin"))
    .find((d) => fs.existsSync(path.join(d, "initdb")));
  return found ?? null;
}

const BIN = pgBin();

/** initdb is there, or its absence must fail the run (PORTICO_TEST_REQUIRE_ALL=1). */
export const ownPostgresAvailable = (): boolean => REQUIRE_ALL || BIN !== null;

export type OwnPostgres = {
  url: string;
  /** `pg_ctl stop -m fast`: the server closes every connection and stops listening. */
  stop(): void;
  start(): void;
  /** SIGSTOP to the server and every backend: connections stay open and nothing answers. */
  freeze(): void;
  thaw(): void;
  destroy(): void;
};

/**
 * A PostgreSQL server of the test's own (its own data directory and port), which the test may
 * stop, start and freeze. The shared server on 5432 is never touched. initdb refuses to run as
 * root, so as root the server runs as the `postgres` user.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  if (!BIN) throw new Error("PostgreSQL binaries (initdb, pg_ctl) not found; set PORTICO_TEST_PG_BIN");
  const root = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-own-pg-"));
  const data = path.join(dir, "data");
  if (root) execFileSync("chown", ["postgres:postgres", dir]);
  const run = (bin: string, args: string[]) => {
    const cmd = path.join(BIN, bin);
    return root
      ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" })
      : execFileSync(cmd, args, { stdio: "pipe" });
  };
  run("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
  const start = () => {
    run("pg_ctl", ["-D", data, "-o", options, "-l", path.join(dir, "log"), "-w", "-t", "30", "start"]);
  };
  start();
  const postmaster = () => Number(fs.readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  /** The postmaster and its children (backends, background workers). */
  const processes = () => {
    const pid = postmaster();
    const children = execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
    return [pid, ...children];
  };
  let frozen: number[] = [];
  const thaw = () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, "SIGCONT");
      } catch {}
    }
    frozen = [];
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: () => run("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]),
    start,
    freeze: () => {
      frozen = processes();
      for (const pid of frozen) process.kill(pid, "SIGSTOP");
    },
    thaw,
    destroy: () => {
      thaw();
      try {
        run("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } catch {}
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
