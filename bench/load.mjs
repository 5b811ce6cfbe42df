#!/usr/bin/env node
// One load run with autocannon's API, in its own process (pinned apart from the server when the
// machine allows). Input: a JSON config as argv[2]. Output: one JSON line with the results.
import autocannon from "autocannon";

const cfg = JSON.parse(process.argv[2]);
const result = await autocannon({
  url: cfg.url,
  method: cfg.method ?? "GET",
  headers: cfg.headers ?? {},
  body: cfg.body,
  // Several paths: each connection sends them in turn (a random owner's page each request).
  ...(cfg.paths ? { requests: cfg.paths.map((p) => ({ path: p })) } : {}),
  connections: cfg.connections ?? 10,
  // A steady rate (requests a second, all connections together) instead of as fast as it answers.
  ...(cfg.rate ? { overallRate: cfg.rate } : {}),
  pipelining: 1,
  ...(cfg.amount ? { amount: cfg.amount } : { duration: cfg.duration }),
  timeout: 10,
});
const ok = result["2xx"];
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    p999_ms: result.latency.p99_9,
    requests: result.requests.total,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
