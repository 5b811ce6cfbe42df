import { type Kysely, sql } from "kysely";
import type { Logger } from "pino";
import type { Dialect } from "../db/database.js";
import { EPOCH_MS, fromLegacy, wireId } from "./request-log-ids.js";
import type { RequestLogStore, RequestRecord } from "./request-log-store.js";

// biome-ignore lint/suspicious/noExplicitAny: the old table is no longer part of the typed schema.
type AnyKysely = Kysely<any>;

/** The old table's columns (migration 007), which never change again. */
type LegacyRow = Omit<RequestRecord, "id"> & { id: string; created_at: number };

const TABLE = "request_log_legacy";

/**
 * The rows earlier versions wrote, which migration 012 set aside as `request_log_legacy`, moved
 * into the compact log a chunk at a time, newest first, while Portico serves: each row under the
 * id its old id maps to (request-log-ids.ts `fromLegacy`), so a stored request id still finds its
 * row. Rows past the retention are not moved: the table is dropped once only they are left.
 *
 * PostgreSQL moves a chunk in one transaction (rows locked with SKIP LOCKED, so several nodes
 * share the work). SQLite copies a chunk into the log file, ignoring rows already there, then
 * deletes it from the main file: an interruption between the two only repeats the copy.
 */
export class LegacyRequestLog {
  private done = false;

  constructor(
    private readonly main: AnyKysely,
    private readonly dialect: Dialect,
    private readonly log: RequestLogStore,
    private readonly logger: Logger,
  ) {}

  private async exists(): Promise<boolean> {
    const { rows } =
      this.dialect === "postgres"
        ? await sql`select 1 from pg_class where oid = to_regclass(${TABLE})`.execute(this.main)
        : await sql`select 1 from sqlite_master where type = 'table' and name = ${TABLE}`.execute(this.main);
    return rows.length > 0;
  }

  /** Moves every row newer than `cutoff` (epoch ms), then drops the old table. Returns how many moved. */
  async moveAll(cutoff: number, chunk = 2000): Promise<number> {
    if (this.done) return 0;
    if (!(await this.exists())) {
      this.done = true;
      return 0;
    }
    let moved = 0;
    for (;;) {
      const n = await this.moveChunk(cutoff, chunk);
      if (n === null) break;
      moved += n;
      // Let requests waiting for the database go first.
      await new Promise((r) => setTimeout(r, 5));
    }
    await sql.raw(`drop table if exists ${TABLE}`).execute(this.main);
    this.done = true;
    this.logger.info({ moved }, "request log: rows of the earlier layout moved; its table dropped");
    return moved;
  }

  /** Moves one chunk; null when nothing within retention is left. */
  private async moveChunk(cutoff: number, chunk: number): Promise<number | null> {
    const select = (ex: AnyKysely, lock: boolean) =>
      sql<LegacyRow>`select * from ${sql.table(TABLE)} where created_at >= ${cutoff}
        order by id desc limit ${chunk}${sql.raw(lock ? " for update skip locked" : "")}`.execute(ex);
    if (this.dialect === "postgres") {
      return this.main.transaction().execute(async (trx) => {
        const { rows } = await select(trx, true);
        if (!rows.length) return null;
        const records = rows.flatMap(toRecord);
        if (records.length) await this.log.insertEncoded(trx, await this.log.prepare(records), false);
        await sql`delete from ${sql.table(TABLE)} where id in (${sql.join(rows.map((r) => r.id))})`.execute(
          trx,
        );
        return records.length;
      });
    }
    const { rows } = await select(this.main, false);
    if (!rows.length) return null;
    const records = rows.flatMap(toRecord);
    if (records.length) {
      const encoded = await this.log.prepare(records);
      await this.log.db.transaction().execute((trx) => this.log.insertEncoded(trx, encoded, true));
    }
    await sql`delete from ${sql.table(TABLE)} where id in (${sql.join(rows.map((r) => r.id))})`.execute(
      this.main,
    );
    return records.length;
  }
}

/** An old row as a record under its new id; a row whose id cannot map (none ever should) keeps its time. */
function toRecord(row: LegacyRow): RequestRecord[] {
  const created = Number(row.created_at);
  const parts = fromLegacy(row.id) ?? (created >= EPOCH_MS ? { ms: created, low: 0 } : null);
  if (!parts) return [];
  const { created_at: _, ...rest } = row;
  return [
    {
      ...rest,
      id: wireId(parts.ms, parts.low),
      duration_ms: Number(row.duration_ms),
      status: Number(row.status),
      provider_status: row.provider_status === null ? null : Number(row.provider_status),
    },
  ];
}
