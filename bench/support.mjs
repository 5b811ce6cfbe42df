// What both benchmarks (run.mjs, console.mjs) need around the measuring: a free port, the
// PostgreSQL they may use, and a throwaway database of either dialect.
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import pg from "pg";

/** The administrative PostgreSQL URL: where throwaway databases are created and dropped. */
export const PG_ADMIN_URL =
  process.env.PORTICO_BENCH_DATABASE_URL ??
  process.env.PORTICO_TEST_DATABASE_URL ??
  "postgres://postgres@127.0.0.1:5432/test";

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export async function postgresReachable() {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

/** A new empty database: a file in `dir` on SQLite, a database named `<prefix>_<random>` on PostgreSQL. */
export async function createDatabase(dialect, dir, prefix) {
  if (dialect === "sqlite") return { url: `file:${path.join(dir, "bench.db")}`, drop: async () => {} };
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}
