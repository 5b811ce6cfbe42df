#!/usr/bin/env node
// Bulk data for the benchmarks, straight into the tables with set-based SQL (never through the
// API): accounts with their `linked` events and webhook deliveries, and a request log of any size
// in the layout Portico writes (day partitions or tables, lookups, time-ordered ids).
//
//   node bench/seed.mjs --database-url <url> --accounts 10000000 --requests 50000000 [--days 30]
//
// The database must be migrated and initialized (`portico init`); the rows go to its first
// project, logged under its first API key. Used by bench/console.mjs; runnable alone to build a
// database to look at.
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { compiledEntry } from "../bin/compile.js";

const DAY = 86_400_000;
const log = (...a) => console.error("[bench seed]", ...a);

/** Portico's own modules (the request log's layout), from the compiled copy `portico` runs. */
async function portico(module) {
  const entry = await compiledEntry();
  if (entry) return import(path.join(path.dirname(entry), `${module}.js`));
  const { register } = await import("tsx/esm/api");
  register();
  return import(path.resolve(import.meta.dirname, "..", "src", `${module}.ts`));
}

export const PROVIDERS = [
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

/** The seeded account number i's id: `acc_bench_00001234`. */
export const accountId = (i) => `acc_bench_${String(i).padStart(8, "0")}`;

/** SQL for the i-th seeded row's columns, shared by both dialects (i is an integer column). */
const columns = (i) => ({
  provider: `case ${i} % 10 ${PROVIDERS.map((p, n) => `when ${n} then '${p}'`).join(" ")} end`,
  name: `case (${i} / 25) % 8 ${NAMES.map((w, n) => `when ${n} then '${w} '`).join(" ")} end`,
  status: `case when ${i} % 100 = 7 then 'error' when ${i} % 200 = 3 then 'inactive' else 'active' end`,
});

/** Accounts of big owners (200 each) at the end of the seeded ones: 1% of them, at least one owner's. */
export const bigOwnerAccounts = (accounts) =>
  accounts < 2000 ? 0 : Math.max(200, Math.floor(accounts / 100 / 200) * 200);
export const BIG_OWNER_SIZE = 200;
/** The k-th big owner's id. */
export const bigOwner = (k) => `owner-big-${String(k).padStart(4, "0")}`;

/**
 * `accounts` accounts over 400 days (25 per owner, ten providers, 1% in error; the last 1% belong
 * to big owners of 200 accounts each), one `linked` event each, and `deliveries` webhook
 * deliveries over the last week.
 */
export async function seedAccounts(dialect, url, projectId, { accounts, deliveries }) {
  const started = Date.now();
  const now = Date.now();
  const span = 400 * DAY;
  const small = accounts - bigOwnerAccounts(accounts);
  if (dialect === "sqlite") {
    const db = new Database(url.slice("file:".length));
    db.pragma("journal_mode = WAL");
    const c = columns("i");
    db.exec(`
      with recursive seq(i) as (select 0 union all select i + 1 from seq where i < ${accounts - 1})
      insert into accounts (id, project_id, provider, origin_owner_id, origin_owner_name, type, status,
                            setup_information, label, created_at, updated_at)
      select printf('acc_bench_%08d', i), '${projectId}', ${c.provider},
             case when i < ${small} then printf('owner-%06d', i / 25) else printf('owner-big-%04d', (i - ${small}) / ${BIG_OWNER_SIZE}) end,
             ${c.name} || (i / 25), 'production', ${c.status}, '{"subdomain":"acme"}', 'Bench',
             ${now - span} + i * ${Math.floor(span / accounts)}, ${now}
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
       select 'acc_bench_' || lpad(i::text, 8, '0'), $1, ${c.provider},
              case when i < ${small} then 'owner-' || lpad((i / 25)::text, 6, '0')
                   else 'owner-big-' || lpad(((i - ${small}) / ${BIG_OWNER_SIZE})::text, 4, '0') end,
              ${c.name} || (i / 25), 'production', ${c.status}, '{"subdomain":"acme"}', 'Bench',
              $2::bigint + i::bigint * $3::bigint, $4::bigint
       from generate_series(0, $5::int - 1) as i`,
      [projectId, now - span, Math.floor(span / accounts), now, accounts],
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
    await client.end();
  }
  await foldAccountCounts(dialect, url);
  // The overview's accounts linked per day, which a link adds to as it commits.
  const daily = `insert into history_daily (project_id, metric, day, count)
    select project_id, 'accounts_linked', created_at / 86400000, count(*) from account_events
    where project_id = '${projectId}' and type = 'linked' group by project_id, created_at / 86400000`;
  if (dialect === "sqlite") {
    const db = new Database(url.slice("file:".length));
    db.exec(daily);
    db.close();
  } else {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(daily);
    await client.end();
  }
  if (dialect === "postgres") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    for (const t of ["accounts", "account_events", "webhook_deliveries", "account_count_changes"])
      await client.query(`vacuum analyze ${t}`);
    await client.end();
  }
  log(
    `${accounts.toLocaleString("en")} accounts on ${dialect} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/**
 * The overview's counts (migration 016): its triggers recorded a change for every account
 * inserted; fold them now rather than in the server's first minutes.
 */
export async function foldAccountCounts(dialect, url) {
  const { openDatabase } = await portico("db/database");
  const { AccountCountsStore } = await portico("accounts/counts");
  const db = openDatabase(url, { poolSize: 1 });
  try {
    await new AccountCountsStore(db.db, dialect).fold();
  } finally {
    await db.close();
  }
}

/** The routes the seeded log's calls use: [method, route, provider method, service]. */
const ROUTES = [
  ["POST", "/connect_sessions", "", "connect_sessions"],
  ["GET", "/accounts", "", "accounts"],
  ["GET", "/accounts/:id", "", "accounts"],
  ["POST", "/unified/proxy", "GET", "proxy"],
];
/** The seeded account a hot call goes to (100 accounts take a fifth of the calls that name one). */
export const HOT_ACCOUNTS = 100;

/**
 * `requests` request-log rows spread evenly over the last `days` days up to now, as a backend
 * sends them: a fifth session creates, a fifth account lists, a fifth account reads, two fifths
 * proxied calls; of the calls naming an account, a fifth go to 100 hot accounts and the rest are
 * spread over every account, and one in 47 fails (404, or a provider's 502). What a row holds is
 * what the hook records for such a call; one SQL statement a day writes the day's rows.
 *
 * The per-call SQL below reads `j`, the call's number (0 = oldest), and `t`, its start time.
 */
export async function seedRequestLog(dialect, url, projectId, { requests, days, accounts }) {
  const started = Date.now();
  const ids = await portico("history/request-log-ids");
  const { openDatabase } = await portico("db/database");
  const { RequestLogDays } = await portico("history/request-log-days");
  const { prepareSqliteLogFile, requestLogFileOf } = await portico("history/request-log-schema");
  const { default: pino } = await import("pino");
  const logger = pino({ level: "silent" });

  const main = openDatabase(url, { poolSize: 2 });
  const key = await main.db
    .selectFrom("api_keys")
    .select(["id", "prefix"])
    .where("project_id", "=", projectId)
    .orderBy("created_at")
    .executeTakeFirstOrThrow();
  const logDb =
    dialect === "sqlite" ? openDatabase(`file:${requestLogFileOf(url.slice("file:".length))}`) : main;
  if (dialect === "sqlite") await prepareSqliteLogFile(logDb.db);
  const { sql } = await import("kysely");
  // Lookups: the project's key, the routes, one URL prefix a provider.
  await sql`insert into request_log_keys (project_id, key_id, key_prefix) values (${projectId}, ${key.id}, ${key.prefix}) on conflict do nothing`.execute(
    logDb.db,
  );
  for (const [method, route, pm, service] of ROUTES)
    await sql`insert into request_log_routes (method, route, provider_method, service) values (${method}, ${route}, ${pm}, ${service}) on conflict do nothing`.execute(
      logDb.db,
    );
  for (const p of PROVIDERS)
    await sql`insert into request_log_hosts (provider, prefix) values (${p}, ${`https://api.${p}.example/v1`}) on conflict do nothing`.execute(
      logDb.db,
    );
  const keyRef = Number(
    (await sql`select id from request_log_keys where key_id = ${key.id}`.execute(logDb.db)).rows[0].id,
  );
  const routeRef = [];
  for (const [method, route, pm] of ROUTES)
    routeRef.push(
      Number(
        (
          await sql`select id from request_log_routes where method = ${method} and route = ${route} and provider_method = ${pm}`.execute(
            logDb.db,
          )
        ).rows[0].id,
      ),
    );
  const hostRef = [];
  for (const p of PROVIDERS)
    hostRef.push(
      Number(
        (await sql`select id from request_log_hosts where provider = ${p}`.execute(logDb.db)).rows[0].id,
      ),
    );

  const now = Date.now() - 60_000;
  const span = days * DAY;
  const first = now - span;
  // Call j starts at first + floor(j * span / requests): integers only, so a call's day is exact.
  const firstCall = (ms) => {
    const d = BigInt(ms - first) * BigInt(requests);
    return d <= 0n ? 0 : Number((d + BigInt(span) - 1n) / BigInt(span));
  };
  const daysOf = new RequestLogDays(logDb.db, dialect, logger);
  const pad = dialect === "postgres" ? (e) => `lpad((${e})::text, 8, '0')` : (e) => `printf('%08d', ${e})`;
  const idiv = (a, b) => `((${a}) / ${b})`;
  // kind: 0 session create, 1 accounts list, 2 account read, 3-4 proxied call.
  const kind = "(j % 5)";
  const acct = `case when j % 5 = 2 or j % 5 >= 3 then
      case when ${idiv("j", 5)} % 5 = 0 then ${idiv("j", 25)} % ${HOT_ACCOUNTS}
           else (j * 7919 + 13) % ${accounts} end end`;
  const failed = "(j % 47 = 7 and j % 5 >= 2)";
  const select = (t) => `
    select (${t} - ${ids.EPOCH_MS}) * 4194304 + (j % 4096) as id,
      ${keyRef} as key,
      (j * 31) % 400 + 1 as duration,
      case ${kind} when 0 then ${routeRef[0]} when 1 then ${routeRef[1]} when 2 then ${routeRef[2]} else ${routeRef[3]} end as route,
      case when ${failed} then case when ${kind} = 2 then 404 else 502 end
           when ${kind} = 0 then 201 else 200 end as status,
      case when ${kind} >= 3 then case (${acct}) % 10 ${hostRef.map((h, n) => `when ${n} then ${h}`).join(" ")} end end as host,
      case when ${kind} >= 3 then case when ${failed} then 502 else 200 end end as provider_status,
      case when ${kind} >= 2 then 'bench_' || ${pad(acct)} end as account,
      case when ${kind} >= 3 then case when j % 2 = 0 then '/employees' else '/employees/' || (j % 100000) end end as provider_path,
      null as path, null as provider_url, null as error`;
  const cols =
    "id, key, duration, route, status, host, provider_status, account, provider_path, path, provider_url, error";
  let written = 0;
  for (let day = ids.dayOf(first); day <= ids.dayOf(now); day++) {
    // The calls whose start falls on this day: j in [from, to).
    const from = firstCall(day * DAY);
    const to = Math.min(requests, firstCall((day + 1) * DAY));
    if (from >= to) continue;
    await daysOf.ensure(day);
    const t = `(${first} + (j * ${span}) / ${requests})`;
    const dayStarted = Date.now();
    if (dialect === "postgres") {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(
        `insert into request_log (${cols}) ${select(t)} from generate_series(${from}::bigint, ${to - 1}::bigint) as j`,
      );
      await client.end();
    } else {
      const db = new Database(requestLogFileOf(url.slice("file:".length)));
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = OFF");
      db.exec(`with recursive seq(j) as (select ${from} union all select j + 1 from seq where j < ${to - 1})
        insert into ${ids.dayTable(day)} (${cols}) ${select(t)} from seq`);
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
    }
    written += to - from;
    log(
      `request log ${ids.dayTable(day)}: ${(to - from).toLocaleString("en")} rows in ${((Date.now() - dayStarted) / 1000).toFixed(1)} s (${written.toLocaleString("en")} of ${requests.toLocaleString("en")})`,
    );
  }
  if (dialect === "postgres") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("vacuum analyze request_log");
    await client.end();
  }
  if (logDb !== main) await logDb.close();
  await main.close();
  log(
    `${requests.toLocaleString("en")} request-log rows on ${dialect} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** The seeded request log's bytes a row: every partition and its indexes, or the log file. */
export async function requestLogBytes(dialect, url) {
  if (dialect === "postgres") {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(`select
      (select coalesce(sum(pg_total_relation_size(relid)), 0) from pg_partition_tree('request_log')) as bytes,
      (select count(*) from request_log) as n`);
    await client.end();
    return { bytes: Number(rows[0].bytes), rows: Number(rows[0].n) };
  }
  const { requestLogFileOf } = await portico("history/request-log-schema");
  const db = new Database(requestLogFileOf(url.slice("file:".length)));
  const pageSize = db.pragma("page_size", { simple: true });
  const pages = db.pragma("page_count", { simple: true });
  let n = 0;
  for (const { name } of db
    .prepare("select name from sqlite_master where type = 'table' and name glob 'request_log_2*'")
    .all())
    n += db.prepare(`select count(*) as n from ${name}`).get().n;
  db.close();
  return { bytes: pageSize * pages, rows: n };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const url = option("--database-url", process.env.PORTICO_DATABASE_URL);
  if (!url) throw new Error("--database-url (or PORTICO_DATABASE_URL) is required");
  const dialect = url.startsWith("file:") ? "sqlite" : "postgres";
  const accounts = Number(option("--accounts", "0"));
  const requests = Number(option("--requests", "0"));
  const days = Number(option("--days", "30"));
  const { openDatabase } = await portico("db/database");
  const main = openDatabase(url, { poolSize: 1 });
  const project = await main.db.selectFrom("projects").select("id").orderBy("created_at").executeTakeFirst();
  await main.close();
  if (!project) throw new Error("no project: run `portico init` on this database first");
  if (accounts)
    await seedAccounts(dialect, url, project.id, { accounts, deliveries: Math.min(100_000, accounts) });
  if (requests)
    await seedRequestLog(dialect, url, project.id, { requests, days, accounts: Math.max(1, accounts) });
}
