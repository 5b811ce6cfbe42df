#!/usr/bin/env node
// Portico's benchmark: every hot path against a bare-Fastify baseline measured in the same run.
//
//   npm run bench                      full run: SQLite, and PostgreSQL when reachable
//   npm run bench -- --smoke           a few seconds, small data: keeps the suite from rotting (CI)
//   npm run bench -- --dialect sqlite  one dialect;  --duration 20  seconds per measurement
//   npm run bench -- --only proxy      the scenarios whose name contains "proxy" (and their floors);
//                                      --only telemetry: metrics and traces on vs off alone
//   npm run bench -- --profile DIR     also CPU-profile the servers (DIR/<dialect>/, DIR/floor-<path>/)
//                                      and write DIR/summary.md: time per request by bucket
//   (a partial run, --only or --dialect, writes bench/results/partial.* and never the docs)
//   npm run bench -- --write-docs      also replace the benchmark table in docs/performance.md
//   npm run bench -- --render --write-docs   rebuild the tables from bench/results/latest.json
//   (each dialect also measures session create with metrics and traces on against both off)
//
// The Portico server, the baseline server and the load generator (autocannon) each run in their
// own process; with taskset and two or more CPUs the servers are pinned to CPU 0 and the load
// generator (and the proxy's upstream) to CPU 1. Only 127.0.0.1 is contacted.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { buckets, newestProfile, perRequestTable } from "./profile-summary.mjs";
import { foldAccountCounts, requestLogBytes } from "./seed.mjs";
import { createDatabase, freePort, PG_ADMIN_URL, postgresReachable } from "./support.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const SMOKE = flag("--smoke");
// --only <text>: the scenarios whose name contains it (a quick loop while working on one path).
const ONLY = option("--only", "");
// --profile <dir>: a V8 CPU profile of the Portico server per dialect (chrome://inspect, speedscope).
const PROFILE_DIR = option("--profile", "");
const DURATION = SMOKE ? 1 : Number(option("--duration", "10"));
const WARMUP_REQUESTS = SMOKE ? 200 : 3000;
const CONNECTIONS = Number(option("--connections", "10"));
const ACCOUNTS = SMOKE ? 10_000 : Number(option("--accounts", "1000000"));
const OUT_DIR = path.join(ROOT, "bench", "results");
// Rate limits off: the benchmark measures Portico's own cost per request, and one key sends
// far more than any limit would let through.
const LIMITS = { PORTICO_RATE_LIMIT_PER_MINUTE: "0", PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE: "0" };
const LIMITS_TEXT = `rate limits off (${Object.entries(LIMITS)
  .map(([k, v]) => `${k}=${v}`)
  .join(", ")})`;

const log = (...a) => console.error("[bench]", ...a);

// The floor: the least work each hot path must do, in a bare Fastify handler (bench/floor.mjs). Its
// ratio beside Portico's shows what is Portico's own cost.
const FLOOR = process.env.PORTICO_BENCH_FLOOR ?? path.resolve(ROOT, "bench", "floor.mjs");
// The scenario each of the floor's paths stands beside.
const FLOOR_SCENARIOS = {
  create: "session create",
  authenticate: "session authenticate",
  get: "account get",
};
const SESSION_BODY = JSON.stringify({
  origin_owner_id: "customer-4711",
  origin_owner_name: "Acme Inc",
  origin_username: "jane@acme.example",
  categories: ["hris", "ats", "crm"],
  label: "Acme production",
  metadata: { plan: "enterprise", region: "eu", seats: 250 },
  expires_in: 3600,
  multiple: false,
  type: "production",
});

// ---- processes ---------------------------------------------------------------------------------

const hasTaskset = spawnSync("taskset", ["-c", "0", "true"]).status === 0 && os.availableParallelism() >= 2;
// A null CPU leaves the process to the scheduler (the processes scenario).
const pin = (cpu, cmd) =>
  hasTaskset && cpu !== null ? ["taskset", ["-c", String(cpu), ...cmd]] : [cmd[0], cmd.slice(1)];
const SERVER_CPU = 0;
const LOAD_CPU = 1;

const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});

function start(cpu, cmd, env) {
  const [bin, argv] = pin(cpu, cmd);
  const child = spawn(bin, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  child.stderr.on("data", (d) => {
    out += d;
  });
  child.on("exit", () => children.delete(child));
  return { child, output: () => out };
}

async function stop(proc) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  await new Promise((r) => {
    proc.child.once("exit", r);
    proc.child.kill("SIGTERM");
    setTimeout(() => proc.child.kill("SIGKILL"), 10_000).unref();
  });
}

async function waitHttp(url, proc, anyAnswer = false) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`process exited:\n${proc.output()}`);
    try {
      const res = await fetch(url);
      if (res.ok || anyAnswer) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not come up:\n${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resident set size of a process in MB, from /proc (Linux). */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process has used, in microseconds, from /proc (Linux). */
function cpuMicros(pid) {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** Now on the monotonic clock V8's CPU profiles use for their timestamps, in microseconds. */
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/**
 * One autocannon run in its own process; samples `watchPid`'s RSS while it runs, and reports the
 * CPU time it spent per request and the window of the run (to cut its samples out of a profile).
 */
async function load(cfg, watchPid, cpu = LOAD_CPU) {
  const cpuBefore = watchPid ? cpuMicros(watchPid) : null;
  const windowStart = monotonicMicros();
  const proc = start(cpu, [process.execPath, path.join(ROOT, "bench", "load.mjs"), JSON.stringify(cfg)], {});
  let peak = 0;
  const sampler = watchPid
    ? setInterval(() => {
        peak = Math.max(peak, rssMb(watchPid) ?? 0);
      }, 200)
    : null;
  const code = await new Promise((r) => proc.child.on("exit", r));
  if (sampler) clearInterval(sampler);
  if (code !== 0) throw new Error(`load generator failed:\n${proc.output()}`);
  const result = JSON.parse(proc.output().trim().split("\n").at(-1));
  const cpuAfter = watchPid ? cpuMicros(watchPid) : null;
  const cpuUs =
    cpuBefore !== null && cpuAfter !== null && result.requests > 0
      ? (cpuAfter - cpuBefore) / result.requests
      : null;
  return {
    ...result,
    peak_rss_mb: peak || null,
    cpu_us_per_request: cpuUs === null ? null : Math.round(cpuUs),
    window: [windowStart, monotonicMicros()],
  };
}

// ---- data --------------------------------------------------------------------------------------

const BENCH_CATALOG = (upstreamPort) => ({
  "bench-upstream.yaml": `key: bench-upstream
name: Bench Upstream
categories: [hris]
logo: bench.svg
docs: http://127.0.0.1:${upstreamPort}/docs
sources: [http://127.0.0.1:${upstreamPort}/docs]
auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: http://127.0.0.1:${upstreamPort}/upstream
  inject: { headers: { X-Api-Key: "{{api_key}}" } }
verify: { path: /items }
`,
});

/** 1,000,000 accounts in bulk, straight into the tables (not through the API): 25 per owner. */
async function seedAccounts(dialect, url, projectId) {
  const started = Date.now();
  const now = Date.now() - ACCOUNTS;
  if (dialect === "sqlite") {
    const db = new Database(url.slice("file:".length));
    db.pragma("journal_mode = WAL");
    const insert = db.prepare(
      `insert into accounts (id, project_id, provider, origin_owner_id, origin_owner_name, type, status, setup_information, label, created_at, updated_at)
       values (?, ?, 'bamboohr', ?, ?, 'production', 'active', '{"subdomain":"acme"}', 'Bench', ?, ?)`,
    );
    const batch = db.transaction((from, to) => {
      for (let i = from; i < to; i++) {
        const owner = `owner-${i % Math.max(1, Math.floor(ACCOUNTS / 25))}`;
        insert.run(
          `acc_bench_${String(i).padStart(8, "0")}`,
          projectId,
          owner,
          `Owner ${owner}`,
          now + i,
          now + i,
        );
      }
    });
    for (let i = 0; i < ACCOUNTS; i += 100_000) batch(i, Math.min(ACCOUNTS, i + 100_000));
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const owners = Math.max(1, Math.floor(ACCOUNTS / 25));
    await client.query(
      `insert into accounts (id, project_id, provider, origin_owner_id, origin_owner_name, type, status, setup_information, label, created_at, updated_at)
       select 'acc_bench_' || lpad(i::text, 8, '0'), $1, 'bamboohr', 'owner-' || (i % $2), 'Owner owner-' || (i % $2),
              'production', 'active', '{"subdomain":"acme"}', 'Bench', $3::bigint + i, $3::bigint + i
       from generate_series(0, $4::int - 1) as i`,
      [projectId, owners, now, ACCOUNTS],
    );
    await client.query("analyze accounts");
    await client.end();
  }
  log(`seeded ${ACCOUNTS} accounts on ${dialect} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function enableIntegrations(dialect, url, projectId, providers) {
  const now = Date.now();
  if (dialect === "sqlite") {
    const db = new Database(url.slice("file:".length));
    const ins = db.prepare(
      "insert or ignore into integrations (project_id, provider, active, created_at, updated_at) values (?, ?, 1, ?, ?)",
    );
    for (const p of providers) ins.run(projectId, p, now, now);
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const p of providers) {
      await client.query(
        "insert into integrations (project_id, provider, active, created_at, updated_at) values ($1, $2, 1, $3, $3) on conflict do nothing",
        [projectId, p, now],
      );
    }
    await client.end();
  }
}

// ---- measuring -----------------------------------------------------------------------------------

/**
 * One scenario against a server and the bare baseline answering a body of the same size (or the
 * scenario's own baseline URL): warm-up, then a timed run of each.
 */
async function measure(base, sc, baseline, watchPid) {
  const url = `${base}${sc.path}`;
  const probe = await fetch(url, { method: sc.method, headers: sc.headers, body: sc.body });
  const text = await probe.text();
  if (probe.status >= 300) throw new Error(`${sc.name}: ${probe.status} ${text.slice(0, 200)}`);
  const size = Buffer.byteLength(text);
  const bReq = sc.baselineUrl
    ? { url: sc.baselineUrl, method: "GET", headers: {} }
    : sc.method === "GET"
      ? { url: `${baseline}/json/${size}`, method: "GET", headers: {} }
      : {
          url: `${baseline}/json/${size}`,
          method: sc.method,
          headers: { "content-type": "application/json" },
          body: sc.body,
        };
  const pReq = { url, method: sc.method, headers: sc.headers, body: sc.body };
  await load({ ...bReq, amount: WARMUP_REQUESTS, connections: CONNECTIONS });
  const b = await load({ ...bReq, duration: DURATION, connections: CONNECTIONS });
  await load({ ...pReq, amount: WARMUP_REQUESTS, connections: CONNECTIONS });
  const p = await load({ ...pReq, duration: DURATION, connections: CONNECTIONS }, watchPid);
  return { size, b, p };
}

/** A scenario on one server only (warm-up, timed run), against no baseline of its own. */
async function measureOnly(base, sc, watchPid) {
  const req = { url: `${base}${sc.path}`, method: sc.method, headers: sc.headers, body: sc.body };
  await load({ ...req, amount: WARMUP_REQUESTS, connections: CONNECTIONS });
  return load({ ...req, duration: DURATION, connections: CONNECTIONS }, watchPid);
}

/**
 * The floor for each path it has (create, authenticate, get) that `modes` names: its ratio against
 * the same baseline, the CPU it spends per request, and with --profile its CPU profile in
 * DIR/floor-<mode>/. Empty when PORTICO_BENCH_FLOOR names a file that is not there.
 */
async function measureFloors(baseline, modes) {
  if (!fs.existsSync(FLOOR)) {
    log(`no floor at ${FLOOR}: floor ratios are left out (PORTICO_BENCH_FLOOR names another path)`);
    return {};
  }
  const auth = { authorization: basic("sk_floor"), "content-type": "application/json" };
  const paths = {
    create: {
      name: "floor create",
      method: "POST",
      path: "/connect_sessions",
      headers: auth,
      body: SESSION_BODY,
    },
    authenticate: {
      name: "floor authenticate",
      method: "POST",
      path: "/connect_sessions/authenticate",
      headers: auth,
      body: JSON.stringify({ token: "cst_5" }),
    },
    get: { name: "floor get", method: "GET", path: "/accounts/acc_5", headers: auth },
  };
  const floors = {};
  for (const [mode, sc] of Object.entries(paths).filter(([m]) => modes.includes(m))) {
    const port = await freePort();
    // The floor dies on SIGTERM without writing its profile: the preloaded handler exits cleanly.
    const profile = PROFILE_DIR
      ? [
          "--cpu-prof",
          `--cpu-prof-dir=${path.resolve(PROFILE_DIR, `floor-${mode}`)}`,
          "--import",
          'data:text/javascript,process.on("SIGTERM", () => process.exit(0))',
        ]
      : [];
    // The floor resolves the project's own dependencies from its working directory.
    const proc = start(SERVER_CPU, [process.execPath, ...profile, FLOOR, mode, String(port)], {});
    try {
      await waitHttp(`http://127.0.0.1:${port}/accounts/none`, proc, true);
      const { b, p } = await measure(`http://127.0.0.1:${port}`, sc, baseline, proc.child.pid);
      floors[mode] = {
        ratio: Number((p.rps / b.rps).toFixed(2)),
        cpu_us_per_request: p.cpu_us_per_request,
        window: p.window,
        requests: p.requests,
      };
      log(
        `floor ${mode}: ${Math.round(p.rps)} req/s vs ${Math.round(b.rps)} (ratio ${floors[mode].ratio}), ${p.cpu_us_per_request} µs CPU a request`,
      );
    } finally {
      await stop(proc);
    }
  }
  return floors;
}

// ---- one dialect -------------------------------------------------------------------------------

const basic = (key) => `Basic ${Buffer.from(`${key}:`).toString("base64")}`;

async function runDialect(dialect, baseline, upstreamUrl, upstreamPort, floors) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `portico-bench-${dialect}-`));
  const catalogDir = path.join(dir, "catalog");
  fs.mkdirSync(path.join(catalogDir, "logos"), { recursive: true });
  fs.writeFileSync(path.join(catalogDir, "logos", "bench.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  for (const [f, text] of Object.entries(BENCH_CATALOG(upstreamPort)))
    fs.writeFileSync(path.join(catalogDir, f), text);
  const database = await createDatabase(dialect, dir, "portico_bench");
  const port = await freePort();
  const env = {
    PORTICO_DATABASE_URL: database.url,
    PORTICO_DATA_DIR: path.join(dir, "data"),
    PORTICO_PORT: String(port),
    PORTICO_PUBLIC_URL: `http://127.0.0.1:${port}`,
    PORTICO_LOG_LEVEL: "warn",
    PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
    PORTICO_CATALOG_DIRS: catalogDir,
    // Metrics are on by default: measured as shipped, on a port of this run's own.
    PORTICO_METRICS_PORT: String(await freePort()),
    ...LIMITS,
  };
  const rows = [];
  let server;
  let serverOff;
  try {
    const init = JSON.parse(
      execFileSync(process.execPath, [path.join(ROOT, "bin", "portico.js"), "init", "--json"], {
        env: { ...process.env, ...env },
        encoding: "utf8",
      }),
    );
    const catalogKeys = [
      "bamboohr",
      "hibob",
      "personio",
      "greenhouse",
      "lever",
      "ashby",
      "salesforce",
      "hubspot",
      "pipedrive",
      "okta",
      "jira",
      "zendesk",
      "slack",
      "xero",
    ];
    await enableIntegrations(dialect, database.url, init.project_id, ["bench-upstream", ...catalogKeys]);
    await seedAccounts(dialect, database.url, init.project_id);
    await foldAccountCounts(dialect, database.url);

    server = start(
      SERVER_CPU,
      [
        process.execPath,
        ...(PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(PROFILE_DIR, dialect)}`] : []),
        path.join(ROOT, "bin", "portico.js"),
        "serve",
      ],
      env,
    );
    const base = `http://127.0.0.1:${port}`;
    await waitHttp(`${base}/healthz`, server);
    // The same server with the request log off (PORTICO_REQUEST_LOG=off), idle beside it until
    // its turn: each logged path is measured on both back to back, for the log's own cost.
    const portOff = await freePort();
    serverOff = start(SERVER_CPU, [process.execPath, path.join(ROOT, "bin", "portico.js"), "serve"], {
      ...env,
      PORTICO_PORT: String(portOff),
      PORTICO_REQUEST_LOG: "off",
      PORTICO_WORKERS: "false",
      // Metrics on as beside it, on a port of its own.
      PORTICO_METRICS_PORT: String(await freePort()),
    });
    const baseOff = `http://127.0.0.1:${portOff}`;
    await waitHttp(`${baseOff}/healthz`, serverOff);
    const auth = { authorization: basic(init.api_key), "content-type": "application/json" };
    const sessionBody = SESSION_BODY;
    const session = await (
      await fetch(`${base}/connect_sessions`, { method: "POST", headers: auth, body: sessionBody })
    ).json();
    const link = await fetch(`${base}/hub/accounts`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-hub-session-token": session.token },
      body: JSON.stringify({ integration_id: "bench-upstream", credentials: { api_key: "bench-key" } }),
    });
    const proxyAccount = (await link.json()).id;
    if (!proxyAccount) throw new Error(`could not link the proxy account: ${link.status}`);
    const restRss = rssMb(server.child.pid);
    const someId = `acc_bench_${String(Math.floor(ACCOUNTS / 2)).padStart(8, "0")}`;
    const owner = `owner-${Math.floor(ACCOUNTS / 50)}`;

    const scenarios = [
      {
        name: "session create",
        logged: true,
        method: "POST",
        path: "/connect_sessions",
        headers: auth,
        body: sessionBody,
        target: [0.6, 0.4],
        floor: "create",
      },
      {
        name: "session authenticate",
        logged: true,
        method: "POST",
        path: "/connect_sessions/authenticate",
        headers: auth,
        body: JSON.stringify({ token: session.token }),
        target: [0.7, 0.5],
        floor: "authenticate",
      },
      {
        name: "hub connectors",
        method: "GET",
        path: "/hub/connectors",
        headers: { "x-hub-session-token": session.token },
        target: [0.7, 0.7],
      },
      {
        name: `accounts list (${ACCOUNTS.toLocaleString("en")} accounts)`,
        logged: true,
        method: "GET",
        path: `/accounts?origin_owner_id=${owner}&page_size=25`,
        headers: auth,
        target: [0.5, 0.5],
      },
      {
        name: "account get",
        logged: true,
        method: "GET",
        path: `/accounts/${someId}`,
        headers: auth,
        target: [0.7, 0.5],
        floor: "get",
      },
      {
        name: "proxy",
        logged: true,
        method: "POST",
        path: "/unified/proxy",
        headers: { ...auth, "x-account-id": proxyAccount },
        body: JSON.stringify({ method: "get", path: "/items" }),
        baselineUrl: `${upstreamUrl}/upstream/items`,
        target: [0.5, 0.5],
      },
    ];
    for (const sc of scenarios.filter((x) => !ONLY || x.name.includes(ONLY))) {
      const { size, b, p } = await measure(base, sc, baseline, server.child.pid);
      const off = sc.logged ? await measureOnly(baseOff, sc, serverOff.child.pid) : null;
      if (PROFILE_DIR)
        profiled.push({
          dialect,
          scenario: sc.name,
          window: p.window,
          requests: p.requests,
          floor: floors[sc.floor] && sc.floor,
        });
      const target = dialect === "sqlite" ? sc.target[0] : sc.target[1];
      const row = {
        scenario: sc.name,
        dialect,
        rps: Math.round(p.rps),
        baseline_rps: Math.round(b.rps),
        ratio: Number((p.rps / b.rps).toFixed(2)),
        p50_ms: p.p50_ms,
        p99_ms: p.p99_ms,
        rss_mb: p.peak_rss_mb,
        baseline_p50_ms: b.p50_ms,
        baseline_p99_ms: b.p99_ms,
        rss_rest_mb: restRss,
        response_bytes: size,
        target_ratio: target,
        floor_ratio: floors[sc.floor]?.ratio ?? null,
        cpu_us_per_request: p.cpu_us_per_request,
        floor_cpu_us_per_request: floors[sc.floor]?.cpu_us_per_request ?? null,
        errors: p.non2xx + p.errors + p.timeouts + (off ? off.non2xx + off.errors + off.timeouts : 0),
        // With the request log off: its throughput, and the log's share (on / off).
        rps_log_off: off ? Math.round(off.rps) : null,
        log_effect: off ? Number((p.rps / off.rps).toFixed(2)) : null,
        cpu_us_per_request_log_off: off?.cpu_us_per_request ?? null,
        // Portico's throughput as a share of the floor's, both against the same baseline.
        of_floor: floors[sc.floor] ? Number((p.rps / b.rps / floors[sc.floor].ratio).toFixed(2)) : null,
      };
      rows.push(row);
      log(
        `${dialect} ${sc.name}: ${row.rps} req/s vs ${row.baseline_rps} (ratio ${row.ratio})${off ? `, log off ${row.rps_log_off} req/s (on/off ${row.log_effect})` : ""}${row.of_floor ? `, ${row.of_floor} of the floor` : ""}, p50 ${row.p50_ms} ms, p99 ${row.p99_ms} ms, RSS ${row.rss_mb} MB${row.errors ? `, ${row.errors} ERRORS` : ""}`,
      );
    }
    // What the log holds now, a row a logged request of the runs above, on disk.
    await stop(server);
    await stop(serverOff);
    const size = await requestLogBytes(dialect, database.url);
    const perRequest = size.rows ? Number((size.bytes / size.rows).toFixed(1)) : null;
    log(
      `${dialect} request log: ${size.bytes} bytes for ${size.rows} logged requests = ${perRequest} bytes a request`,
    );
    for (const r of rows) Object.assign(r, { log_bytes_per_request: perRequest, log_rows: size.rows });
  } finally {
    if (serverOff) await stop(serverOff);
    if (server) await stop(server);
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * DIR/summary.md: for each profiled scenario, where the server's main thread spent its time per
 * request during the timed run, next to the floor's for the same path.
 */
function writeProfileSummary(entries, floorsByMode) {
  const parts = [
    "# Where the time goes, per request\n",
    "Main-thread CPU profile samples inside each timed run, divided by the requests of that run. A native frame (a SQLite statement, a hash, JSON.parse) counts in its caller's bucket.\n",
  ];
  for (const e of entries) {
    const columns = [
      {
        label: `Portico (${e.dialect})`,
        buckets: buckets(newestProfile(path.resolve(PROFILE_DIR, e.dialect)), e.window),
        requests: e.requests,
      },
    ];
    const floor = e.floor && floorsByMode[e.floor];
    if (floor)
      columns.push({
        label: "floor",
        buckets: buckets(newestProfile(path.resolve(PROFILE_DIR, `floor-${e.floor}`)), floor.window),
        requests: floor.requests,
      });
    parts.push(`## ${e.scenario} (${e.dialect})\n\n${perRequestTable(columns)}\n`);
  }
  fs.writeFileSync(path.resolve(PROFILE_DIR, "summary.md"), parts.join("\n"));
  log(`profile summary: ${path.resolve(PROFILE_DIR, "summary.md")}`);
}

// ---- one machine, every core -------------------------------------------------------------------

/** Sum of the RSS of a process and its children (a `--processes` primary and its workers). */
function treeRssMb(pid) {
  let children = [];
  try {
    children = fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  } catch {}
  return [pid, ...children.map(Number)].reduce((sum, p) => sum + (rssMb(p) ?? 0), 0);
}

/**
 * Session authenticate with `portico serve --processes 2` against `--processes 1`, on SQLite. It
 * is the path to show what a second process buys: Basic auth, a JSON body, validation, a session
 * read and a JSON answer, all CPU in the process, with no write on the request's path to
 * serialize on SQLite's lock (the request log is written in batches, off it). Nothing is pinned: the
 * workers and autocannon share the machine's cores, as they would on a real two-core host, so the
 * load generator's own CPU is part of what is shared.
 */
async function runProcesses() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-bench-processes-"));
  try {
    const port = await freePort();
    const env = {
      PORTICO_DATABASE_URL: `file:${path.join(dir, "bench.db")}`,
      PORTICO_DATA_DIR: path.join(dir, "data"),
      PORTICO_PORT: String(port),
      PORTICO_PUBLIC_URL: `http://127.0.0.1:${port}`,
      // info: the workers' "Portico listening" lines say when all of them serve (requests are
      // never logged at any level below debug).
      PORTICO_LOG_LEVEL: "info",
      PORTICO_METRICS_PORT: String(await freePort()),
      ...LIMITS,
    };
    const init = JSON.parse(
      execFileSync(process.execPath, [path.join(ROOT, "bin", "portico.js"), "init", "--json"], {
        env: { ...process.env, ...env },
        encoding: "utf8",
      }),
    );
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: basic(init.api_key), "content-type": "application/json" };
    const measured = {};
    for (const n of [1, 2]) {
      const server = start(
        null,
        [process.execPath, path.join(ROOT, "bin", "portico.js"), "serve", "--processes", String(n)],
        env,
      );
      try {
        await waitHttp(`${base}/healthz`, server);
        while (server.output().split('"msg":"Portico listening"').length - 1 < n) {
          if (server.child.exitCode !== null) throw new Error(`server exited:\n${server.output()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const session = await (
          await fetch(`${base}/connect_sessions`, {
            method: "POST",
            headers: auth,
            body: JSON.stringify({ origin_owner_id: "customer-processes", origin_owner_name: "Acme Inc" }),
          })
        ).json();
        const cfg = {
          url: `${base}/connect_sessions/authenticate`,
          method: "POST",
          headers: auth,
          body: JSON.stringify({ token: session.token }),
          connections: CONNECTIONS,
        };
        const rest = treeRssMb(server.child.pid);
        await load({ ...cfg, amount: WARMUP_REQUESTS }, null, null);
        let peak = 0;
        const sampler = setInterval(() => {
          peak = Math.max(peak, treeRssMb(server.child.pid));
        }, 200);
        const result = await load({ ...cfg, duration: DURATION }, null, null).finally(() =>
          clearInterval(sampler),
        );
        measured[n] = { ...result, rest, peak };
        log(
          `processes ${n}: ${Math.round(result.rps)} req/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms, RSS ${peak} MB`,
        );
      } finally {
        await stop(server);
      }
    }
    const [one, two] = [measured[1], measured[2]];
    return [
      {
        scenario: "session authenticate: 2 processes vs 1 (unpinned)",
        dialect: "sqlite",
        path: "session authenticate",
        processes: [1, 2],
        pinned: false,
        cpus: os.availableParallelism(),
        rps: Math.round(two.rps),
        baseline_rps: Math.round(one.rps),
        ratio: Number((two.rps / one.rps).toFixed(2)),
        p50_ms: two.p50_ms,
        p99_ms: two.p99_ms,
        baseline_p50_ms: one.p50_ms,
        baseline_p99_ms: one.p99_ms,
        rss_mb: two.peak,
        rss_rest_mb: two.rest,
        baseline_rss_mb: one.peak,
        target_ratio: null,
        errors: one.non2xx + one.errors + one.timeouts + two.non2xx + two.errors + two.timeouts,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- metrics and traces ------------------------------------------------------------------------

/**
 * An OTLP/HTTP receiver that takes every export and answers at once, as a collector would: the
 * traces row measures what producing and sending spans costs Portico, not a collector's speed.
 */
async function startOtlpSink() {
  let spans = 0;
  const server = http.createServer((req, res) => {
    let bytes = 0;
    req.on("data", (c) => {
      bytes += c.length;
    });
    req.on("end", () => {
      if (bytes) spans++;
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    exports: () => spans,
    close: () => new Promise((r) => server.close(r)),
  };
}

/** The order the telemetry rows' servers take their slices in: each first, second and last in turn. */
const ROTATIONS = [
  ["off", "metrics", "traces"],
  ["metrics", "traces", "off"],
  ["traces", "off", "metrics"],
];

/** What `--only` matches to run the telemetry rows. */
const TELEMETRY_NAMES = [
  "telemetry",
  "session create: metrics on vs off",
  "session create: metrics and traces on vs off",
];

/**
 * Session create with metrics on (the default) and with metrics and traces on (every request
 * sampled, exported over OTLP/protobuf to a local sink), each against a server with both off, in
 * the same run. The three servers (each on a database of its own, all pinned to the server CPU)
 * run side by side and take the load in turns, a short slice each, round after round: on a busy
 * machine a run of each in a row said more about the neighbours at that moment than about the
 * telemetry. The ratio is throughput on over off, over every slice; the CPU ratio (server CPU
 * time a request, on over off) is the steadier of the two.
 */
async function runTelemetry(dialect) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `portico-bench-telemetry-${dialect}-`));
  const sink = await startOtlpSink();
  const modes = {
    off: { PORTICO_METRICS_PORT: "0" },
    metrics: { PORTICO_METRICS_PORT: String(await freePort()) },
    traces: {
      PORTICO_METRICS_PORT: String(await freePort()),
      OTEL_EXPORTER_OTLP_ENDPOINT: sink.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
    },
  };
  const servers = {};
  try {
    for (const mode of Object.keys(modes)) {
      fs.mkdirSync(path.join(dir, mode));
      const database = await createDatabase(dialect, path.join(dir, mode), `portico_bench_telemetry_${mode}`);
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const env = {
        PORTICO_DATABASE_URL: database.url,
        PORTICO_DATA_DIR: path.join(dir, mode, "data"),
        PORTICO_PORT: String(port),
        PORTICO_PUBLIC_URL: base,
        PORTICO_LOG_LEVEL: "warn",
        // A process of its own each: a small pool keeps three of them well within PostgreSQL's limit.
        PORTICO_DATABASE_POOL_SIZE: "10",
        ...LIMITS,
        ...modes[mode],
      };
      const init = JSON.parse(
        execFileSync(process.execPath, [path.join(ROOT, "bin", "portico.js"), "init", "--json"], {
          env: { ...process.env, ...env },
          encoding: "utf8",
        }),
      );
      const server = start(
        SERVER_CPU,
        [process.execPath, path.join(ROOT, "bin", "portico.js"), "serve"],
        env,
      );
      servers[mode] = { server, database, runs: [] };
      await waitHttp(`${base}/healthz`, server);
      servers[mode].cfg = {
        url: `${base}/connect_sessions`,
        method: "POST",
        headers: { authorization: basic(init.api_key), "content-type": "application/json" },
        body: SESSION_BODY,
        connections: CONNECTIONS,
      };
      await load({ ...servers[mode].cfg, amount: WARMUP_REQUESTS });
    }
    // Each mode gets three times the usual measurement in all, in 2 s slices taken in turns.
    const slice = SMOKE ? 1 : 2;
    const slices = SMOKE ? 1 : Math.max(1, Math.round((DURATION * 3) / slice));
    for (let i = 0; i < slices; i++)
      for (const mode of ROTATIONS[i % ROTATIONS.length]) {
        const s = servers[mode];
        s.runs.push(await load({ ...s.cfg, duration: slice }, s.server.child.pid));
      }
    if (sink.exports() === 0) throw new Error("the traces run exported no spans");
    const summary = (runs) => {
      const requests = runs.reduce((a, r) => a + r.requests, 0);
      const cpu = runs.every((r) => r.cpu_us_per_request !== null)
        ? runs.reduce((a, r) => a + r.cpu_us_per_request * r.requests, 0) / requests
        : null;
      const med = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor((runs.length - 1) / 2)];
      return {
        rps: requests / (runs.length * slice),
        cpu,
        p50_ms: med("p50_ms"),
        p99_ms: med("p99_ms"),
        rss: Math.max(...runs.map((r) => r.peak_rss_mb ?? 0)) || null,
        errors: runs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0),
      };
    };
    const off = summary(servers.off.runs);
    for (const mode of Object.keys(modes)) {
      const m = summary(servers[mode].runs);
      log(
        `${dialect} session create, telemetry ${mode}: ${Math.round(m.rps)} req/s, ${Math.round(m.cpu)} µs CPU a request (${slices} slices of ${slice} s)`,
      );
    }
    const row = (mode, scenario, target) => {
      const on = summary(servers[mode].runs);
      return {
        scenario,
        dialect,
        path: "session create",
        telemetry: mode,
        slices,
        rps: Math.round(on.rps),
        baseline_rps: Math.round(off.rps),
        ratio: Number((on.rps / off.rps).toFixed(2)),
        p50_ms: on.p50_ms,
        p99_ms: on.p99_ms,
        baseline_p50_ms: off.p50_ms,
        baseline_p99_ms: off.p99_ms,
        rss_mb: on.rss,
        target_ratio: target,
        cpu_us_per_request: on.cpu === null ? null : Math.round(on.cpu),
        baseline_cpu_us_per_request: off.cpu === null ? null : Math.round(off.cpu),
        cpu_ratio: on.cpu && off.cpu ? Number((on.cpu / off.cpu).toFixed(2)) : null,
        errors: on.errors + off.errors,
      };
    };
    return [
      row("metrics", "session create: metrics on vs off", 0.95),
      row("traces", "session create: metrics and traces on vs off", null),
    ];
  } finally {
    for (const s of Object.values(servers)) {
      await stop(s.server);
      await s.database.drop();
    }
    await sink.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- main --------------------------------------------------------------------------------------

/**
 * The results table. A ratio is Portico's throughput over the baseline's in the same run (a bare
 * Fastify route answering the same JSON, or the upstream called directly for the proxy); the floor's
 * ratio is the least work the path must do, measured the same way, and "of the floor" is Portico's
 * ratio over the floor's: the share of what any implementation could reach here that Portico reaches.
 */
function markdown(rows) {
  const head =
    "| scenario | dialect | req/s | baseline req/s | ratio to baseline | floor's ratio | of the floor | req/s, log off (on/off) | CPU µs a request (floor) | p50 ms (baseline) | p99 ms | RSS MB at rest / under load |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|";
  const share = (r) => (r.floor_ratio ? `${Math.round((100 * r.ratio) / r.floor_ratio)}%` : "-");
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.dialect} | ${r.rps} | ${r.baseline_rps} | ${r.ratio} | ${r.floor_ratio ?? "-"} | ${share(r)} | ${r.rps_log_off ? `${r.rps_log_off} (${r.log_effect})` : "-"} | ${r.cpu_us_per_request ?? "-"}${r.floor_cpu_us_per_request ? ` (${r.floor_cpu_us_per_request})` : r.baseline_cpu_us_per_request ? ` (${r.baseline_cpu_us_per_request})` : ""} | ${r.p50_ms} (${r.baseline_p50_ms}) | ${r.p99_ms} | ${r.rss_rest_mb ?? "-"} / ${r.rss_mb ?? "-"} |`,
  );
  const notes = [
    ...rows.filter((r) => r.processes).map(processesNote),
    ...(rows.some((r) => r.telemetry) ? [telemetryNote(rows.find((r) => r.telemetry).slices)] : []),
    ...rows
      .filter((x, i, all) => x.log_bytes_per_request && all.findIndex((y) => y.dialect === x.dialect) === i)
      .map(
        (r) =>
          `Request log on ${r.dialect}: ${r.log_bytes_per_request} bytes on disk a logged request, indexes included (${r.log_rows} requests of the runs above); "req/s, log off" is the same path on a server beside it with PORTICO_REQUEST_LOG=off, measured right after.`,
      ),
  ];
  return [head, ...lines, ...(notes.length ? ["", ...notes] : [])].join("\n");
}

/** What the processes row measures, under the table: its setup differs from every other row's. */
function processesNote(r) {
  return `Processes row: ${r.path} on ${r.dialect} with \`portico serve --processes 2\` (${r.rps} req/s) against \`--processes 1\` (${r.baseline_rps} req/s), ratio ${r.ratio}; server and load generator unpinned, sharing the machine's ${r.cpus} cores; RSS is the primary and both workers together.`;
}

/** What the telemetry rows measure. */
function telemetryNote(slices) {
  return `Telemetry rows: session create on three servers side by side, with metrics and traces off (PORTICO_METRICS_PORT=0, no OTEL_* variables), with metrics on (the default), and with metrics and traces on (every request sampled, OTLP/protobuf to a local receiver), taking the load in turns (${slices} slices each, rotated order); CPU µs a request is the server's, off in brackets.`;
}

/** Writes latest/smoke .json and .md (and the docs' block), from rows measured now or earlier. */
function writeResults(rows, header) {
  const table = markdown(rows);
  console.log(`\n${table}\n`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // A partial run (--only, one --dialect) must not replace the full run's results.
  const partial = ONLY || args.includes("--dialect");
  const file = SMOKE ? "smoke" : partial ? "partial" : "latest";
  fs.writeFileSync(path.join(OUT_DIR, `${file}.json`), `${JSON.stringify(rows, null, 2)}\n`);
  fs.writeFileSync(path.join(OUT_DIR, `${file}.md`), `${header}\n\n${table}\n`);
  // --write-readme is the former name: the table moved from the README to the docs site.
  if ((flag("--write-docs") || flag("--write-readme")) && !SMOKE && !partial) {
    const page = path.join(ROOT, "docs", "performance.md");
    const text = fs.readFileSync(page, "utf8");
    const block = `<!-- bench:start -->\n${fs.readFileSync(path.join(OUT_DIR, "latest.md"), "utf8")}<!-- bench:end -->`;
    fs.writeFileSync(page, text.replace(/<!-- bench:start -->[\s\S]*<!-- bench:end -->/, block));
  }
}

// --render: rebuild the tables from bench/results/latest.json without measuring again.
if (flag("--render")) {
  const previous = JSON.parse(fs.readFileSync(path.join(OUT_DIR, "latest.json"), "utf8"));
  const header = fs.readFileSync(path.join(OUT_DIR, "latest.md"), "utf8").split("\n")[0];
  writeResults(previous, header);
  process.exit(0);
}

const wanted = option("--dialect", "sqlite,postgres").split(",");
const dialects = [];
for (const d of wanted) {
  if (d === "postgres" && !(await postgresReachable())) {
    log(`PostgreSQL unreachable at ${PG_ADMIN_URL}: skipping the PostgreSQL runs`);
    continue;
  }
  dialects.push(d);
}
const upstreamPort = await freePort();
// The baseline server shares CPU 0 with nothing during its runs (Portico is idle then); the
// upstream of the proxy scenario runs on the load generator's CPU so Portico keeps CPU 0 alone.
const baselinePort = await freePort();
const baselineProc = start(SERVER_CPU, [process.execPath, path.join(ROOT, "bench", "baseline-server.mjs")], {
  PORT: String(baselinePort),
});
const upstreamProc = start(LOAD_CPU, [process.execPath, path.join(ROOT, "bench", "baseline-server.mjs")], {
  PORT: String(upstreamPort),
});
const baselineUrl = `http://127.0.0.1:${baselinePort}`;
const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;
await waitHttp(`${baselineUrl}/json/16`, baselineProc);
await waitHttp(`${upstreamUrl}/upstream/items`, upstreamProc);

const machine = `${os.cpus()[0]?.model ?? "cpu"} x${os.availableParallelism()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
log(`machine: ${machine}`);
log(
  hasTaskset
    ? `pinning: servers on CPU ${SERVER_CPU}, load generator and proxy upstream on CPU ${LOAD_CPU} (taskset)`
    : "pinning: none (taskset unavailable or a single CPU)",
);
log(
  `mode: ${SMOKE ? "smoke" : "full"}, ${DURATION} s per measurement, ${CONNECTIONS} connections, ${ACCOUNTS} seeded accounts, ${LIMITS_TEXT}`,
);

const rows = [];
// With --profile: each measured scenario's window in its server's profile (see writeProfileSummary).
const profiled = [];
let floors = {};
try {
  // Smoke runs leave the floors out: they only keep the scenarios working, and CI time is shared.
  const floorModes = Object.entries(FLOOR_SCENARIOS)
    .filter(([, name]) => !SMOKE && (!ONLY || name.includes(ONLY)))
    .map(([mode]) => mode);
  floors = await measureFloors(baselineUrl, floorModes);
  for (const d of dialects) {
    // --only telemetry: the telemetry rows alone (no seeding, no other scenario).
    if (ONLY !== "telemetry")
      rows.push(...(await runDialect(d, baselineUrl, upstreamUrl, upstreamPort, floors)));
    if (!ONLY || TELEMETRY_NAMES.some((n) => n.includes(ONLY))) rows.push(...(await runTelemetry(d)));
  }
  if (wanted.includes("sqlite") && !ONLY) rows.push(...(await runProcesses()));
} finally {
  await stop(baselineProc);
  await stop(upstreamProc);
}

if (PROFILE_DIR) writeProfileSummary(profiled, floors);
writeResults(
  rows,
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}; ${hasTaskset ? "servers pinned to CPU 0, load generator to CPU 1" : "unpinned"}; ${DURATION} s per measurement, ${CONNECTIONS} connections; ${LIMITS_TEXT}.`,
);
const broken = rows.filter((r) => r.errors > 0 || !(r.rps > 0));
if (broken.length || rows.length === 0) {
  log(`FAILED: ${broken.map((r) => `${r.dialect} ${r.scenario}`).join(", ") || "no results"}`);
  process.exit(1);
}
