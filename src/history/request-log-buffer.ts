import type { Logger } from "pino";
import { isDataError } from "../db/availability.js";
import { telemetry } from "../telemetry/telemetry.js";
import { cleanRecord } from "./clean-text.js";
import type { RequestRecord } from "./request-log-store.js";
import type { DailyCount } from "./store.js";

export type { RequestRecord };

/** Where the buffer writes: the request log's rows, and the daily counters (main database). */
export type RequestLogSink = {
  insertBatch(records: RequestRecord[]): Promise<void>;
  addDaily(counts: DailyCount[]): Promise<void>;
};

export type RequestLogBufferOptions = {
  /** How often buffered records are written. */
  intervalMs: number;
  /** Records held at most; beyond it the oldest are dropped (and counted). */
  maxPending: number;
  logger: Logger;
};

const DAY_MS = 86_400_000;

/** What the writer has done since start (read by the console and by metrics). */
export type RequestLogStats = {
  /** Records written to the database. */
  written: number;
  /** Records dropped because the buffer was full (the database could not keep up, or was down). */
  dropped: number;
  /** Records dropped because the database refused them (their data, not the connection). */
  refused: number;
};

/**
 * The request log's write path. Requests only push a small record into memory; a timer writes
 * what accumulated in one transaction, so logging costs a request an object and an array push,
 * never a database round trip. When the database cannot keep up (or is down) the buffer stays
 * bounded: the oldest records go first, counted in `dropped` and logged.
 *
 * Daily counters (connect sessions opened) ride along as increments, written on their own: on
 * SQLite they live in the main database and the rows in the log's own file, and a batch of rows
 * that fails must not hold the counters back (nor be counted twice when it is retried).
 *
 * A batch the database refuses for its data (a constraint, a value out of range: not the connection
 * or anything else a retry may mend) is never put back: one bad record would otherwise block every
 * project's log for good. Text is cleaned first (clean-text.ts); a
 * batch that still fails is written again in halves, down to single records, and only the records
 * that fail alone are dropped, counted in `refused` and logged.
 */
export class RequestLogBuffer {
  private pending: RequestRecord[] = [];
  private counts = new Map<string, DailyCount>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastWarning = 0;
  private lastRefusalWarning = 0;
  /** Records dropped since start because the buffer was full. */
  dropped = 0;
  /** Records dropped since start because the database refused them. */
  refused = 0;
  /** Records written since start. */
  written = 0;

  constructor(
    private readonly store: RequestLogSink,
    private readonly opts: RequestLogBufferOptions,
  ) {}

  push(record: RequestRecord): void {
    if (this.pending.length >= this.opts.maxPending) this.drop(Math.ceil(this.opts.maxPending / 10));
    this.pending.push(record);
    this.schedule();
  }

  /** Adds one to a project's counter for the day of `at`. */
  count(projectId: string, metric: string, at: number): void {
    const day = Math.floor(at / DAY_MS);
    const key = `${projectId}\u0000${metric}\u0000${day}`;
    const c = this.counts.get(key);
    if (c) c.count++;
    else this.counts.set(key, { project_id: projectId, metric, day, count: 1 });
    this.schedule();
  }

  private drop(n: number): void {
    this.pending.splice(0, n);
    this.dropped += n;
    telemetry.count("portico_request_log_dropped_total", undefined, n);
    const now = Date.now();
    if (now - this.lastWarning > 60_000) {
      this.lastWarning = now;
      this.opts.logger.warn(
        { dropped_total: this.dropped },
        "request log buffer full: the database is not keeping up, oldest records dropped",
      );
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.writeNow();
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /**
   * Writes everything buffered so far; never throws (a failed write is retried later). A write
   * already under way took only what was buffered when it began: the rest waits for it, then goes.
   */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing;
    return this.writeNow();
  }

  private writeNow(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = null;
      if (this.pending.length || this.counts.size) this.schedule();
    });
    return this.flushing;
  }

  get stats(): RequestLogStats {
    return { written: this.written, dropped: this.dropped, refused: this.refused };
  }

  private async write(): Promise<void> {
    const records = this.pending;
    const counts = [...this.counts.values()];
    if (!records.length && !counts.length) return;
    this.pending = [];
    this.counts = new Map();
    if (counts.length) {
      try {
        await this.store.addDaily(counts);
      } catch (err) {
        if (isDataError(err)) this.refusedWarning(err, 0);
        else this.putBack([], counts, err);
      }
    }
    if (!records.length) return;
    for (const r of records) cleanRecord(r);
    try {
      await this.store.insertBatch(records);
      this.written += records.length;
      telemetry.count("portico_request_log_written_total", undefined, records.length);
    } catch (err) {
      if (!isDataError(err)) return this.putBack(records, [], err);
      await this.writeApart(records);
    }
  }

  /**
   * A batch refused for its data: the records in halves down to single ones, so a bad record
   * costs about log2(batch) more statements and only itself. A connection failure on the way puts
   * back what is not written yet.
   */
  private async writeApart(records: RequestRecord[]): Promise<void> {
    const chunks = [records];
    while (chunks.length) {
      const chunk = chunks.pop()!;
      try {
        await this.store.insertBatch(chunk);
        this.written += chunk.length;
        telemetry.count("portico_request_log_written_total", undefined, chunk.length);
      } catch (err) {
        if (!isDataError(err)) return this.putBack(chunks.flat().concat(chunk), [], err);
        if (chunk.length === 1) {
          this.refused++;
          telemetry.count("portico_request_log_dropped_total", undefined, 1);
          this.refusedWarning(err, 1);
          continue;
        }
        const half = chunk.length >>> 1;
        chunks.push(chunk.slice(half), chunk.slice(0, half));
      }
    }
  }

  /** The connection failed: keep the records and counters for the next flush, within the bound. */
  private putBack(records: RequestRecord[], counts: DailyCount[], err: unknown): void {
    // Put them back in front of what arrived meanwhile.
    this.pending = records.concat(this.pending);
    for (const c of counts) {
      const key = `${c.project_id}\u0000${c.metric}\u0000${c.day}`;
      const now = this.counts.get(key);
      if (now) now.count += c.count;
      else this.counts.set(key, c);
    }
    const over = this.pending.length - this.opts.maxPending;
    if (over > 0) this.drop(over);
    const now = Date.now();
    if (now - this.lastWarning > 60_000) {
      this.lastWarning = now;
      this.opts.logger.warn({ err: (err as Error).message }, "request log write failed; will retry");
    }
  }

  private refusedWarning(err: unknown, records: number): void {
    const now = Date.now();
    if (now - this.lastRefusalWarning <= 60_000) return;
    this.lastRefusalWarning = now;
    this.opts.logger.warn(
      { err: (err as Error).message, refused_total: this.refused, records },
      records
        ? "request log: the database refused a record; it was dropped and the others written"
        : "request log: the database refused the daily counters; they were dropped",
    );
  }

  /** Stops the timer and writes what is left (shutdown). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flushing;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
