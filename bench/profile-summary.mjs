#!/usr/bin/env node
// Where a server's main thread spends its time, from a V8 CPU profile (`node --cpu-prof`), in
// buckets one can act on: Node's HTTP stack, Fastify, validation, the database driver, crypto,
// garbage collection and each slice of Portico's own code. `npm run bench -- --profile DIR`
// writes DIR/summary.md with these tables per scenario, the floor's column beside Portico's.
//
//   node bench/profile-summary.mjs FILE.cpuprofile [FILE2.cpuprofile]    shares of busy time
import fs from "node:fs";
import path from "node:path";

/** The newest profile V8 wrote into a directory (one per process). */
export function newestProfile(dir) {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!files.length) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(fs.readFileSync(files[0], "utf8"));
}

// SQLite's own work runs inside better-sqlite3's native calls, which the profiler counts in the
// JavaScript frame that made them: better-sqlite3's wrappers, or Portico's direct statement calls.
const SQLITE = "SQLite statements (better-sqlite3 and its native calls)";
const DEPENDENCIES = [
  [
    /node_modules\/(fast-json-stringify|@fastify\/fast-json-stringify-compiler)\//,
    "serialization (fast-json-stringify)",
  ],
  [/node_modules\/secure-json-parse\//, "JSON body parser"],
  [
    /node_modules\/(fastify|find-my-way|avvio|@fastify\/[^/]+|light-my-request|fastq|abstract-logging|toad-cache)\//,
    "Fastify",
  ],
  [/node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream)\//, "logging (pino)"],
  [/node_modules\/zod\//, "validation (zod)"],
  [/node_modules\/better-sqlite3\//, SQLITE],
  [/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[^/]+)\//, "PostgreSQL driver (pg)"],
  [/node_modules\/kysely\//, "query builder (kysely)"],
  [/node_modules\/undici\//, "HTTP client (undici)"],
];

/** The bucket of a frame that has a script URL. */
function bucketOfUrl(url, functionName) {
  // Portico's compiled copy (node_modules/.cache/portico/src/...) or its sources under tsx.
  const own = /(?:^|\/)src\/([^/]+)(\/|\.)/.exec(url.replace(/^file:\/\//, ""));
  if (own && !/node_modules\/(?!\.cache\/portico\/)/.test(url)) {
    if (
      own[1] === "db" &&
      /\/database\.[jt]s$/.test(url) &&
      ["all", "run", "get", "iterate"].includes(functionName)
    )
      return SQLITE;
    return `Portico: ${own[1]}`;
  }
  // Kysely's SQLite driver runs write statements itself: its time is their native time.
  if (/kysely\/dist\/esm\/dialect\/sqlite\/sqlite-driver\.js$/.test(url) && functionName === "executeQuery")
    return SQLITE;
  if (url.endsWith("/perf/floor.mjs")) return "floor.mjs handler (with its SQLite calls)";
  for (const [re, name] of DEPENDENCIES) if (re.test(url)) return name;
  if (/node_modules\//.test(url))
    return `other dependency: ${/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)[1]}`;
  if (/^node:(internal\/)?(crypto|internal\/crypto)/.test(url) || url.includes("internal/crypto"))
    return "crypto";
  if (/^node:(_http|http|net|stream|internal\/(http|streams|stream_base|net|js_stream))/.test(url))
    return "Node HTTP and sockets";
  if (url.startsWith("node:")) return "Node internals (timers, events, buffers, promises)";
  return `other: ${url}`;
}

/**
 * Microseconds of main-thread time per bucket, over the samples inside `window` ([from, to] on the
 * monotonic clock, microseconds) or the whole profile. A frame without a URL (a native function: a
 * SQLite statement, JSON.parse, a hash) counts in its nearest caller's bucket, except for the
 * profiler's own pseudo-frames (GC, idle, unattributed native time).
 */
export function buckets(profile, window) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const bucketOf = new Map();
  const resolve = (id) => {
    if (bucketOf.has(id)) return bucketOf.get(id);
    const { callFrame } = byId.get(id);
    let bucket;
    if (callFrame.functionName === "(garbage collector)") bucket = "garbage collection";
    else if (callFrame.functionName === "(idle)") bucket = null;
    else if (callFrame.functionName === "(program)" || callFrame.functionName === "(root)")
      bucket = "V8 and native, unattributed";
    else if (callFrame.url) bucket = bucketOfUrl(callFrame.url, callFrame.functionName);
    else if (parent.has(id)) bucket = resolve(parent.get(id));
    else bucket = "V8 and native, unattributed";
    bucketOf.set(id, bucket);
    return bucket;
  };
  const out = new Map();
  let t = profile.startTime;
  const [from, to] = window ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const weight = profile.timeDeltas[i + 1] ?? 0;
    const bucket = resolve(profile.samples[i]);
    if (bucket) out.set(bucket, (out.get(bucket) ?? 0) + weight);
  }
  return out;
}

/**
 * A markdown table of µs per request by bucket, one column per profile, largest first, with the
 * difference of the first two columns when there are two (Portico minus the floor).
 */
export function perRequestTable(columns) {
  const names = [...new Set(columns.flatMap((c) => [...c.buckets.keys()]))];
  const per = (c, name) => (c.buckets.get(name) ?? 0) / c.requests;
  names.sort((a, b) => per(columns[0], b) - per(columns[0], a));
  const diff = columns.length === 2;
  const head = `| main thread, µs a request | ${columns.map((c) => c.label).join(" | ")}${diff ? " | difference" : ""} |`;
  const rule = `|---|${columns.map(() => "---:").join("|")}|${diff ? "---:|" : ""}`;
  const fmt = (x) => x.toFixed(1);
  const lines = names
    .filter((n) => columns.some((c) => per(c, n) >= 0.5))
    .map(
      (n) =>
        `| ${n} | ${columns.map((c) => fmt(per(c, n))).join(" | ")}${diff ? ` | ${fmt(per(columns[0], n) - per(columns[1], n))}` : ""} |`,
    );
  const total = (c) => [...c.buckets.values()].reduce((a, b) => a + b, 0) / c.requests;
  lines.push(
    `| **total** | ${columns.map((c) => `**${fmt(total(c))}**`).join(" | ")}${diff ? ` | **${fmt(total(columns[0]) - total(columns[1]))}**` : ""} |`,
  );
  return [head, rule, ...lines].join("\n");
}

// As a command: shares of busy time in each profile given.
if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  if (!files.length) {
    console.error("usage: node bench/profile-summary.mjs FILE.cpuprofile [FILE2.cpuprofile]");
    process.exit(2);
  }
  const columns = files.map((f) => {
    const b = buckets(JSON.parse(fs.readFileSync(f, "utf8")));
    const busy = [...b.values()].reduce((x, y) => x + y, 0);
    // With no request count, a "request" is 1% of the busy time: the table reads as percentages.
    return { label: `${path.basename(f)} (% busy)`, buckets: b, requests: busy / 100 };
  });
  console.log(perRequestTable(columns).replace("µs a request", "% of busy time"));
}
