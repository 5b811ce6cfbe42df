import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { Dialect } from "../../src/db/database.js";
import { PG_URL, REQUIRE_ALL } from "./env.js";

/**
 * The dialects every store and flow test runs on (kysely's DIALECTS habit). PostgreSQL is left
 * out only when it is unreachable and not required; then its tests show as skipped.
 */
const wanted = (process.env.DIALECTS ?? "sqlite,postgres").split(",").map((d) => d.trim()) as Dialect[];
export const DIALECTS: Dialect[] = wanted;

export const dialectAvailable = (d: Dialect): boolean =>
  d === "sqlite" || REQUIRE_ALL || process.env.PORTICO_TEST_HAS_POSTGRES !== "0";

export type TestDatabase = { url: string; drop(): Promise<void> };

/**
 * A fresh, empty database: a temp file on SQLite, a new schema (through search_path) on
 * PostgreSQL, so test files running in parallel never see each other's rows.
 */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-test-"));
    return {
      url: `file:${path.join(dir, "portico.db")}`,
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
