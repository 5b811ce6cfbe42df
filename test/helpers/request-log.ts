import { sql } from "kysely";
import type { Context } from "../../src/context.js";
import { dayTable } from "../../src/history/request-log-ids.js";

/**
 * Every row the request log holds, as stored: each day's rows (the partitioned table on
 * PostgreSQL, every day table of the log file on SQLite) and the lookup tables. The full ids are
 * read as text: they do not fit a JavaScript number.
 */
export async function storedRows(s: { ctx: Context }): Promise<Record<string, unknown>[]> {
  const { db, dialect } = s.ctx.history.log;
  const days = await s.ctx.history.log.days.list(true);
  const out: Record<string, unknown>[] = [];
  const tables = dialect === "postgres" ? ["request_log"] : days.map(dayTable);
  for (const t of [...tables, "request_log_keys", "request_log_routes", "request_log_hosts"]) {
    const { rows } = await sql<
      Record<string, unknown>
    >`select *, cast(id as text) as id from ${sql.table(t)}`.execute(db);
    out.push(...rows);
  }
  return out;
}

/** How many requests the request log holds (every day of it). */
export async function storedRequestCount(s: { history: Context["history"] } | Context): Promise<number> {
  const { db, dialect } = s.history.log;
  const tables =
    dialect === "postgres" ? ["request_log"] : (await s.history.log.days.list(true)).map(dayTable);
  let n = 0;
  for (const t of tables)
    n += Number((await sql<{ n: number }>`select count(*) as n from ${sql.table(t)}`.execute(db)).rows[0]!.n);
  return n;
}
