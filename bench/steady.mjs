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

const cfg = JSON.parse(process.argv[2]);
const pool = new Pool(cfg.url, { connections: cfg.connections ?? 10, pipelining: 1 });
const paths = cfg.paths ?? [cfg.path ?? "/"];
const latencies = [];
let errors = 0;
let non2xx = 0;
let sent = 0;
/** Every answer, the warm-up's included: what the server's CPU time was spent on. */
let answered = 0;
const started = performance.now();
const counted = started + (cfg.warmup ?? 1) * 1000;
const end = counted + cfg.duration * 1000;
const inflight = new Set();

const send = (path) => {
  const t = performance.now();
  const p = pool
    .request({ method: "GET", path, headers: cfg.headers ?? {} })
    .then(async (res) => {
      await res.body.dump();
      answered++;
      if (t < counted) return;
      if (res.statusCode >= 300) non2xx++;
      latencies.push(performance.now() - t);
    })
    .catch(() => {
      if (t >= counted) errors++;
    })
    .finally(() => inflight.delete(p));
  inflight.add(p);
};

// Each millisecond tick sends the requests due by then, so the rate holds within a millisecond.
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const now = performance.now();
    const due = Math.floor(((now - started) / 1000) * cfg.rate);
    while (sent < due) send(paths[sent++ % paths.length]);
    if (now >= end) {
      clearInterval(timer);
      resolve();
    }
  }, 1);
});
await Promise.all(inflight);
await pool.close();
latencies.sort((a, b) => a - b);
const q = (p) =>
  Number((latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0).toFixed(1));
process.stdout.write(
  `${JSON.stringify({
    rps: latencies.length / cfg.duration,
    p50_ms: q(0.5),
    p99_ms: q(0.99),
    p999_ms: q(0.999),
    requests: latencies.length,
    all_requests: answered,
    non2xx,
    errors,
  })}\n`,
);
