#!/usr/bin/env node
// The accounts list's query sent straight to PostgreSQL at a steady rate, with no Portico in the
// way: node-postgres, a pool of 10, one prepared statement, each row set turned into JSON text.
// It says what the database and the machine alone give at the rate Portico was loaded with, so a
// tail of Portico's under load can be told from one of the database's. Input: a JSON config as
// argv[2] (databaseUrl, sql, params: a list of parameter lists, rate, duration, warmup).
// Output: one JSON line, as steady.mjs.
import pg from "pg";

const cfg = JSON.parse(process.argv[2]);
const pool = new pg.Pool({ connectionString: cfg.databaseUrl, max: cfg.connections ?? 10 });
const latencies = [];
let errors = 0;
let sent = 0;
const started = performance.now();
const counted = started + (cfg.warmup ?? 1) * 1000;
const end = counted + cfg.duration * 1000;
const inflight = new Set();

const send = (values) => {
  const t = performance.now();
  const p = pool
    .query({ name: "steady-sql", text: cfg.sql, values })
    .then((result) => {
      JSON.stringify(result.rows);
      if (t >= counted) latencies.push(performance.now() - t);
    })
    .catch(() => {
      if (t >= counted) errors++;
    })
    .finally(() => inflight.delete(p));
  inflight.add(p);
};

await new Promise((resolve) => {
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((now - started) / 1000) * cfg.rate);
    while (sent < due) send(cfg.params[sent++ % cfg.params.length]);
    if (now >= end) {
      clearInterval(timer);
      resolve();
    }
  }, 1);
});
await Promise.all(inflight);
await pool.end();
latencies.sort((a, b) => a - b);
const q = (p) =>
  Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(1));
process.stdout.write(
  `${JSON.stringify({ rps: latencies.length / cfg.duration, p50_ms: q(0.5), p99_ms: q(0.99), requests: latencies.length, non2xx: 0, errors })}\n`,
);
