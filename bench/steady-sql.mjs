#!/usr/bin/env node
// The accounts list's query sent straight to PostgreSQL at a steady rate, with no Portico in the
// way: node-postgres, a pool of 10, one prepared statement, each row set turned into JSON text.
// It says what the database and the machine alone give at the rate Portico was loaded with, so a
// tail of Portico's under load can be told from one of the database's. Input: a JSON config as
// argv[2] (databaseUrl, sql, params: a list of parameter lists, rate, duration, warmup).
// Output: one JSON line, as steady.mjs.
import pg from "pg";
import { quantile, steadySchedule } from "./steady-schedule.mjs";

const cfg = JSON.parse(process.argv[2]);
const pool = new pg.Pool({ connectionString: cfg.databaseUrl, max: cfg.connections ?? 10 });
let errors = 0;

const latencies = await steadySchedule(cfg, async (i, counted) => {
  const t = performance.now();
  try {
    const result = await pool.query({
      name: "steady-sql",
      text: cfg.sql,
      values: cfg.params[i % cfg.params.length],
    });
    JSON.stringify(result.rows);
    return counted ? performance.now() - t : null;
  } catch {
    if (counted) errors++;
    return null;
  }
});
await pool.end();
process.stdout.write(
  `${JSON.stringify({
    rps: latencies.length / cfg.duration,
    p50_ms: quantile(latencies, 0.5),
    p99_ms: quantile(latencies, 0.99),
    requests: latencies.length,
    non2xx: 0,
    errors,
  })}\n`,
);
