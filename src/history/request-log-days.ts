import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import type { Dialect } from "../db/database.js";
import { DAY_MS, dayOf, dayTable, idAt, tableDay } from "./request-log-ids.js";
import { sqliteDayTable } from "./request-log-schema.js";

// biome-ignore lint/suspicious/noExplicitAny: the log's tables are named by day, queried with raw SQL.
type AnyKysely = Kysely<any>;

/** How long a process trusts its list of days before reading it again (other nodes add and drop days). */
const LIST_TTL_MS = 5000;

/**
 * The request log's days: a partition of `request_log` on PostgreSQL, a table of the log file on
 * SQLite, named `request_log_YYYYMMDD` (UTC). Days are made ahead of time by the jobs worker, and
 * on demand by a writer that meets a day nobody made (a node whose jobs worker is off, a clock
 * ahead). Retention drops whole days: no row is ever deleted from a live day.
 */
export class RequestLogDays {
  private cached: number[] | null = null;
  private cachedAt = 0;
  private readonly known = new Set<number>();

  constructor(
    private readonly db: AnyKysely,
    private readonly dialect: Dialect,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The days that exist, oldest first (cached for a few seconds). */
  async list(fresh = false): Promise<number[]> {
    if (!fresh && this.cached && this.now() - this.cachedAt < LIST_TTL_MS) return this.cached;
    const names =
      this.dialect === "sqlite"
        ? (
            await sql<{
              name: string;
            }>`select name from sqlite_master where type = 'table' and name like 'request_log_%'`.execute(
              this.db,
            )
          ).rows
        : (
            await sql<{
              name: string;
            }>`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
              where i.inhparent = to_regclass('request_log') and not i.inhdetachpending`.execute(this.db)
          ).rows;
    const days = names
      .map((r) => tableDay(r.name))
      .filter((d): d is number => d !== null)
      .sort((a, b) => a - b);
    this.cached = days;
    this.cachedAt = this.now();
    for (const d of days) this.known.add(d);
    return days;
  }

  /** Forgets the cached list (a query met a day that another process dropped). */
  invalidate(): void {
    this.cached = null;
  }

  /** Makes sure a day exists before rows are written to it. */
  async ensure(day: number): Promise<void> {
    if (this.known.has(day)) return;
    await this.create(day);
    this.known.add(day);
    this.cached = null;
  }

  /** Makes today and the next `ahead` days, so writers never wait for one. */
  async prepareAhead(ahead: number): Promise<number[]> {
    const today = dayOf(this.now());
    const made: number[] = [];
    const existing = new Set(await this.list(true));
    for (let d = today; d <= today + ahead; d++) {
      if (existing.has(d)) continue;
      await this.create(d);
      this.known.add(d);
      made.push(d);
    }
    if (made.length) this.cached = null;
    return made;
  }

  private async create(day: number): Promise<void> {
    const name = dayTable(day);
    if (this.dialect === "sqlite") {
      await this.db.transaction().execute(async (trx) => {
        for (const ddl of sqliteDayTable(name)) await sql.raw(ddl).execute(trx);
      });
      return;
    }
    // A plain table attached as a partition: ATTACH takes only SHARE UPDATE EXCLUSIVE on the parent,
    // so reads and inserts go on meanwhile (CREATE ... PARTITION OF would take ACCESS EXCLUSIVE and
    // queue every request behind any long read). The advisory lock lets one node make a day at a time;
    // the lock timeout keeps a busy catalog from stalling the caller.
    const from = idAt(day * DAY_MS);
    const to = idAt((day + 1) * DAY_MS);
    await this.db.transaction().execute(async (trx) => {
      await sql`set local lock_timeout = '5s'`.execute(trx);
      await sql`select pg_advisory_xact_lock(hashtext(coalesce(current_schema(), '') || '.request_log_days'))`.execute(
        trx,
      );
      const exists = await sql`select 1 from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = to_regclass('request_log') and c.relname = ${name}`.execute(trx);
      if (exists.rows.length) return;
      await sql.raw(`create table ${name} (like request_log including defaults)`).execute(trx);
      await sql
        .raw(`alter table request_log attach partition ${name} for values from (${from}) to (${to})`)
        .execute(trx);
    });
    this.logger.debug({ day: name }, "request log day created");
  }

  /**
   * Drops every day entirely older than `before` (epoch ms) and says which. On PostgreSQL a day is
   * detached concurrently first (no lock that stops readers or writers of the other days), then
   * dropped; a detach interrupted earlier is finished, and a table left detached is dropped.
   */
  async dropBefore(before: number): Promise<string[]> {
    const cutoff = dayOf(before);
    const dropped: string[] = [];
    if (this.dialect === "sqlite") {
      for (const day of await this.list(true)) {
        if (day >= cutoff) continue;
        const name = dayTable(day);
        await sql.raw(`drop table if exists ${name}`).execute(this.db);
        this.known.delete(day);
        dropped.push(name);
      }
      this.cached = null;
      return dropped;
    }
    const { rows } = await sql<{ name: string; attached: boolean; pending: boolean }>`
      select c.relname as name, i.inhrelid is not null as attached, coalesce(i.inhdetachpending, false) as pending
      from pg_class c
      left join pg_inherits i on i.inhrelid = c.oid and i.inhparent = to_regclass('request_log')
      where c.relnamespace = to_regnamespace(current_schema()) and c.relkind = 'r' and c.relname like 'request_log_%'`.execute(
      this.db,
    );
    for (const r of rows) {
      const day = tableDay(r.name);
      if (day === null || day >= cutoff) continue;
      if (r.attached)
        await sql
          .raw(
            `alter table request_log detach partition ${r.name} ${r.pending ? "finalize" : "concurrently"}`,
          )
          .execute(this.db);
      await sql.raw(`drop table if exists ${r.name}`).execute(this.db);
      this.known.delete(day);
      dropped.push(r.name);
    }
    this.cached = null;
    return dropped;
  }
}
