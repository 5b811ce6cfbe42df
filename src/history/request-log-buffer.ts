import type { Logger } from "pino";
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

/**
 * The request log's write path. Requests only push a small record into memory; a timer writes
 * what accumulated with a few multi-row INSERTs in one transaction, so logging costs a request an
 * object and an array push, never a database round trip. When the database cannot keep up (or is
 * down) the buffer stays bounded: the oldest records go first, counted in `dropped` and logged.
 * Daily counters (connect sessions opened) ride along as increments, written on their own: on
 * SQLite they live in the main database and the rows in the log's file, and a batch of rows that
 * fails must not hold the counters back (nor be counted twice when it is retried).
 */
export class RequestLogBuffer {
  private pending: RequestRecord[] = [];
  private counts = new Map<string, DailyCount>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastWarning = 0;
  /** Records dropped since start because the buffer was full. */
  dropped = 0;

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
        // Add them back to what was counted meanwhile.
        for (const c of counts) {
          const key = `${c.project_id}\u0000${c.metric}\u0000${c.day}`;
          const now = this.counts.get(key);
          if (now) now.count += c.count;
          else this.counts.set(key, c);
        }
        this.warn(err);
      }
    }
    if (!records.length) return;
    try {
      await this.store.insertBatch(records);
    } catch (err) {
      // Put them back in front of what arrived meanwhile, within the bound.
      this.pending = records.concat(this.pending);
      const over = this.pending.length - this.opts.maxPending;
      if (over > 0) this.drop(over);
      this.warn(err);
    }
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarning > 60_000) {
      this.lastWarning = now;
      this.opts.logger.warn({ err: (err as Error).message }, "request log write failed; will retry");
    }
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
