#!/usr/bin/env node
// A steady load: requests sent at a fixed rate, each on its own schedule whether or not earlier
// ones have been answered (an open loop, as independent clients send), over keep-alive
// connections. autocannon's own rate limit releases each second's requests together, which
// measures a burst's queue rather than a server that is busy. Input: a JSON config as argv[2]
// (url, paths, headers, rate, duration, connections, warmup). Output: one JSON line.
//
// `warmup` (seconds, default 1): the same rate first, its answers not counted. This process
// starts cold (its connections, undici's code not yet compiled) and for its first few hundred
// milliseconds answers were late on its side, whatever the server: a tenth of a second of 100 ms
// latencies is a p99 of its own in a 10 s run.
import { Pool } from "undici";
import { quantile, steadySchedule } from "./steady-schedule.mjs";

const cfg = JSON.parse(process.argv[2]);
const pool = new Pool(cfg.url, { connections: cfg.connections ?? 10, pipelining: 1 });
const paths = cfg.paths ?? [cfg.path ?? "/"];
let errors = 0;
let non2xx = 0;
/** Every answer, the warm-up's included: what the server's CPU time was spent on. */
let answered = 0;

const latencies = await steadySchedule(cfg, async (i, counted) => {
  const t = performance.now();
  try {
    const res = await pool.request({
      method: "GET",
      path: paths[i % paths.length],
      headers: cfg.headers ?? {},
    });
    await res.body.dump();
    answered++;
    if (!counted) return null;
    if (res.statusCode >= 300) non2xx++;
    return performance.now() - t;
  } catch {
    if (counted) errors++;
    return null;
  }
});
await pool.close();
process.stdout.write(
  `${JSON.stringify({
    rps: latencies.length / cfg.duration,
    p50_ms: quantile(latencies, 0.5),
    p99_ms: quantile(latencies, 0.99),
    p999_ms: quantile(latencies, 0.999),
    requests: latencies.length,
    all_requests: answered,
    non2xx,
    errors,
  })}\n`,
);
