import type { Logger } from "pino";
import { telemetry } from "../telemetry/telemetry.js";
import { sortableId } from "./sortable-id.js";
import type { DailyCount, HistoryStore, RequestLogRow } from "./store.js";

export type RequestRecord = Omit<RequestLogRow, "id">;

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
 * Daily counters (connect sessions opened) ride along as increments.
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
    private readonly store: HistoryStore,
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
      void this.flush();
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  /** Writes everything buffered so far; never throws (a failed write is retried later). */
  flush(): Promise<void> {
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
    try {
      for (const r of records) (r as RequestLogRow).id ??= sortableId("req_", r.created_at);
      await this.store.insertBatch(records as RequestLogRow[], counts);
      telemetry.count("portico_request_log_written_total", undefined, records.length);
    } catch (err) {
      // Put them back in front of what arrived meanwhile, within the bound.
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
