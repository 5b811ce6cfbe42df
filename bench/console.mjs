#!/usr/bin/env node
// The operator console's benchmark: how long one operator waits for the accounts page (every
// filter, search and cursor it offers) and the overview of a project with 1,000,000 accounts,
// against a bare request to the same server (/healthz) measured in the same run.
//
//   node bench/console.mjs                      full run: 1,000,000 accounts, SQLite and PostgreSQL
//   node bench/console.mjs --smoke              10,000 accounts, a few requests: keeps it from rotting
//   node bench/console.mjs --dialect sqlite     one dialect;  --accounts 200000  another size
//
// Targets (issue 13): the accounts page answers in under 300 ms, the overview in under 1 s. Each
// scenario is requested one at a time, as an operator clicks; the table reports p50, p95 and max.
// Only 127.0.0.1 is contacted. Results go to bench/results/console-latest.{json,md} (smoke: console-smoke).
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { createDatabase, freePort, PG_ADMIN_URL, postgresReachable } from "./support.mjs";

const ROOT = path.resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const SMOKE = args.includes("--smoke");
const ACCOUNTS = SMOKE ? 10_000 : Number(option("--accounts", "1000000"));
const RUNS = SMOKE ? 3 : Number(option("--runs", "25"));
const OUT_DIR = path.join(ROOT, "bench", "results");
const DAY = 86_400_000;

const log = (...a) => console.error("[bench console]", ...a);

// ---- data --------------------------------------------------------------------------------------

const PROVIDERS = [
  "bamboohr",
  "hibob",
  "personio",
  "greenhouse",
  "lever",
  "ashby",
  "salesforce",
  "hubspot",
  "jira",
  "xero",
];
const NAMES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka"];

/** SQL for the i-th seeded row's columns, shared by both dialects (i is an integer column). */
const columns = (i) => ({
  provider: `case ${i} % 10 ${PROVIDERS.map((p, n) => `when ${n} then '${p}'`).join(" ")} end`,
  name: `case (${i} / 25) % 8 ${NAMES.map((w, n) => `when ${n} then '${w} '`).join(" ")} end`,
  status: `case when ${i} % 100 = 7 then 'error' when ${i} % 200 = 3 then 'inactive' else 'active' end`,
});

/**
 * ACCOUNTS accounts over 400 days (25 per owner, ten providers, 1% in error), one `linked` event
 * each, and 100,000 webhook deliveries over the last week: straight into the tables, in bulk.
 */
async function seed(dialect, url, projectId) {
  const started = Date.now();
  const now = Date.now();
  const span = 400 * DAY;
  const deliveries = SMOKE ? 1000 : 100_000;
  if (dialect === "sqlite") {
    const db = new Database(url.slice("file:".length));
    db.pragma("journal_mode = WAL");
    const c = columns("i");
    db.exec(`
      with recursive seq(i) as (select 0 union all select i + 1 from seq where i < ${ACCOUNTS - 1})
      insert into accounts (id, project_id, provider, origin_owner_id, origin_owner_name, type, status,
                            setup_information, label, created_at, updated_at)
      select printf('acc_bench_%08d', i), '${projectId}', ${c.provider}, printf('owner-%06d', i / 25),
             ${c.name} || (i / 25), 'production', ${c.status}, '{"subdomain":"acme"}', 'Bench',
             ${now - span} + i * ${Math.floor(span / ACCOUNTS)}, ${now}
      from seq;
      insert into account_events (id, project_id, account_id, provider, type, actor_type, actor_id, actor_name, created_at)
      select 'aev_bench_' || substr(id, 11), project_id, id, provider, 'linked', 'session', '1', origin_owner_name, created_at
      from accounts where project_id = '${projectId}';
      with recursive seq(i) as (select 0 union all select i + 1 from seq where i < ${deliveries - 1})
      insert into webhook_deliveries (id, event_id, endpoint_id, project_id, status, attempts, next_attempt_at, created_at)
      select printf('whd_bench_%08d', i), 'msg_bench', 'we_bench', '${projectId}',
             case when i % 100 = 1 then 'failed' when i % 50 = 2 then 'pending' else 'delivered' end,
             1, ${now}, ${now - 7 * DAY} + i * ${Math.floor((7 * DAY) / deliveries)}
      from seq;
      analyze;`);
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const c = columns("i");
    await client.query(
      `insert into accounts (id, project_id, provider, origin_owner_id, origin_owner_name, type, status,
                             setup_information, label, created_at, updated_at)
       select 'acc_bench_' || lpad(i::text, 8, '0'), $1, ${c.provider}, 'owner-' || lpad((i / 25)::text, 6, '0'),
              ${c.name} || (i / 25), 'production', ${c.status}, '{"subdomain":"acme"}', 'Bench',
              $2::bigint + i::bigint * $3::bigint, $4::bigint
       from generate_series(0, $5::int - 1) as i`,
      [projectId, now - span, Math.floor(span / ACCOUNTS), now, ACCOUNTS],
    );
    await client.query(
      `insert into account_events (id, project_id, account_id, provider, type, actor_type, actor_id, actor_name, created_at)
       select 'aev_bench_' || substr(id, 11), project_id, id, provider, 'linked', 'session', '1', origin_owner_name, created_at
       from accounts where project_id = $1`,
      [projectId],
    );
    await client.query(
      `insert into webhook_deliveries (id, event_id, endpoint_id, project_id, status, attempts, next_attempt_at, created_at)
       select 'whd_bench_' || lpad(i::text, 8, '0'), 'msg_bench', 'we_bench', $1,
              case when i % 100 = 1 then 'failed' when i % 50 = 2 then 'pending' else 'delivered' end,
              1, $2::bigint, $3::bigint + i::bigint * $4::bigint
       from generate_series(0, $5::int - 1) as i`,
      [projectId, now, now - 7 * DAY, Math.floor((7 * DAY) / deliveries), deliveries],
    );
    await client.query("vacuum analyze accounts");
    await client.query("vacuum analyze account_events");
    await client.query("vacuum analyze webhook_deliveries");
    await client.end();
  }
  log(
    `seeded ${ACCOUNTS.toLocaleString("en")} accounts on ${dialect} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

// ---- measuring ---------------------------------------------------------------------------------

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** Times `RUNS` sequential requests (after two warm-ups); fails on any non-2xx answer. */
async function time(label, request) {
  const ms = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const t = performance.now();
    const res = await request();
    const body = await res.text();
    const took = performance.now() - t;
    if (!res.ok) throw new Error(`${label}: HTTP ${res.status} ${body.slice(0, 200)}`);
    if (i >= 2) ms.push(took);
  }
  ms.sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p95: quantile(ms, 0.95), max: ms.at(-1) };
}

async function runDialect(dialect) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `portico-bench-console-${dialect}-`));
  const database = await createDatabase(dialect, dir, "portico_bench_console");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    PORTICO_DATABASE_URL: database.url,
    PORTICO_DATA_DIR: path.join(dir, "data"),
    PORTICO_PORT: String(port),
    PORTICO_PUBLIC_URL: base,
    PORTICO_LOG_LEVEL: "warn",
    // Metrics on, as shipped, on a port of this run's own (9464 may be another server's).
    PORTICO_METRICS_PORT: String(await freePort()),
  };
  const bin = path.join(ROOT, "bin", "portico.js");
  let server;
  const rows = [];
  try {
    const init = JSON.parse(
      execFileSync(process.execPath, [bin, "init", "--json"], { env, encoding: "utf8" }),
    );
    await seed(dialect, database.url, init.project_id);
    server = spawn(process.execPath, [bin, "serve"], { env, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    server.stderr.on("data", (d) => {
      err += d;
    });
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) break;
      } catch {}
      if (i > 600 || server.exitCode !== null) throw new Error(`server did not start:\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const link = JSON.parse(
      execFileSync(process.execPath, [bin, "console", "link", "--json"], { env, encoding: "utf8" }),
    );
    const signIn = await fetch(`${base}/console/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: base },
      body: new URLSearchParams({ token: new URL(link.url).searchParams.get("token") }),
    });
    const cookie = signIn.headers.get("set-cookie")?.split(";")[0];
    if (!cookie) throw new Error(`console sign-in failed: ${signIn.status}`);
    const api = (p) => () =>
      fetch(`${base}/console/api/projects/${init.project_id}${p}`, { headers: { cookie } });
    const auth = { authorization: `Basic ${Buffer.from(`${init.api_key}:`).toString("base64")}` };

    // A cursor deep in the list: the 20th page of 50.
    let deep = "";
    for (let i = 0; i < 20; i++) {
      const page = await (
        await api(`/accounts?limit=50${deep ? `&cursor=${encodeURIComponent(deep)}` : ""}`)()
      ).json();
      deep = page.next;
    }
    const second = (await (await api("/accounts?limit=50&q=acme")()).json()).next;
    const someId = `acc_bench_${String(Math.floor(ACCOUNTS / 2)).padStart(8, "0")}`;
    const accountsTarget = 300;
    const scenarios = [
      ["baseline: GET /healthz", () => fetch(`${base}/healthz`), null],
      [
        "API: GET /accounts (first page of 50)",
        () => fetch(`${base}/accounts?page_size=50`, { headers: auth }),
        null,
      ],
      ["accounts page: newest 50", api("/accounts?limit=50"), accountsTarget],
      ["accounts page: status=error", api("/accounts?limit=50&status=error"), accountsTarget],
      [
        "accounts page: status=inactive, provider=xero",
        api("/accounts?limit=50&status=inactive&provider=xero"),
        accountsTarget,
      ],
      ["accounts page: provider=hubspot", api("/accounts?limit=50&provider=hubspot"), accountsTarget],
      ["accounts page: owner=owner-012345", api("/accounts?limit=50&owner=owner-012345"), accountsTarget],
      ["accounts page: search owner id 'owner-0123'", api("/accounts?limit=50&q=owner-0123"), accountsTarget],
      ["accounts page: search name 'acme' (any case)", api("/accounts?limit=50&q=acme"), accountsTarget],
      [
        "accounts page: search name 'acme', page 2",
        api(`/accounts?limit=50&q=acme&cursor=${encodeURIComponent(second)}`),
        accountsTarget,
      ],
      ["accounts page: search 'nobody' (no match)", api("/accounts?limit=50&q=nobody"), accountsTarget],
      [
        "accounts page: 21st page by cursor",
        api(`/accounts?limit=50&cursor=${encodeURIComponent(deep)}`),
        accountsTarget,
      ],
      [
        "account page: account + timeline + calls",
        async () => {
          const [a, b, c] = await Promise.all([
            api(`/accounts/${someId}`)(),
            api(`/accounts/${someId}/events`)(),
            api(`/accounts/${someId}/requests`)(),
          ]);
          await Promise.all([b.text(), c.text()]);
          return a;
        },
        accountsTarget,
      ],
      ["overview", api("/overview"), 1000],
    ];
    let baseline = null;
    for (const [name, request, target] of scenarios) {
      const r = await time(name, request);
      baseline ??= r.p50;
      const row = {
        scenario: name,
        dialect,
        accounts: ACCOUNTS,
        p50_ms: Number(r.p50.toFixed(1)),
        p95_ms: Number(r.p95.toFixed(1)),
        max_ms: Number(r.max.toFixed(1)),
        ratio_to_baseline: Number((r.p50 / baseline).toFixed(1)),
        target_ms: target,
        meets_target: target === null ? null : r.p95 < target,
      };
      rows.push(row);
      log(
        `${dialect} ${name}: p50 ${row.p50_ms} ms, p95 ${row.p95_ms} ms, max ${row.max_ms} ms${target ? ` (target ${target} ms: ${row.meets_target ? "met" : "MISSED"})` : ""}`,
      );
    }
  } finally {
    if (server && server.exitCode === null) {
      await new Promise((r) => {
        server.once("exit", r);
        server.kill("SIGTERM");
      });
    }
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function markdown(rows) {
  const head =
    "| scenario | dialect | p50 ms | p95 ms | max ms | p50 / baseline | target (p95) |\n|---|---|---:|---:|---:|---:|---|";
  const lines = rows.map(
    (r) =>
      `| ${r.scenario} | ${r.dialect} | ${r.p50_ms} | ${r.p95_ms} | ${r.max_ms} | ${r.ratio_to_baseline} | ${r.target_ms === null ? "-" : `< ${r.target_ms} ms: ${r.meets_target ? "met" : "**missed**"}`} |`,
  );
  return [head, ...lines].join("\n");
}

const dialects = [];
for (const d of option("--dialect", "sqlite,postgres").split(",")) {
  if (d === "postgres" && !(await postgresReachable())) {
    log(`PostgreSQL unreachable at ${PG_ADMIN_URL}: skipping it`);
    continue;
  }
  dialects.push(d);
}
const rows = [];
for (const d of dialects) rows.push(...(await runDialect(d)));
const machine = `${os.cpus()[0]?.model ?? "cpu"} x${os.availableParallelism()}, Node ${process.version}`;
const header = `Measured ${new Date().toISOString().slice(0, 10)} on ${machine}: ${ACCOUNTS.toLocaleString("en")} accounts, ${RUNS} sequential requests per scenario after two warm-ups.`;
const table = markdown(rows);
console.log(`\n${header}\n\n${table}\n`);
fs.mkdirSync(OUT_DIR, { recursive: true });
const file = SMOKE ? "console-smoke" : "console-latest";
fs.writeFileSync(path.join(OUT_DIR, `${file}.json`), `${JSON.stringify(rows, null, 2)}\n`);
fs.writeFileSync(path.join(OUT_DIR, `${file}.md`), `${header}\n\n${table}\n`);
if (rows.length === 0) process.exit(1);
