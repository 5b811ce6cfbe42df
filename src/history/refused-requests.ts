import type { Logger } from "pino";
import { isDataError } from "../db/availability.js";
import { telemetry } from "../telemetry/telemetry.js";
import type { RefusedCount, RefusedRequestsStore } from "./refused-requests-store.js";

const MINUTE_MS = 60_000;
/** Distinct key-minutes held between writes; a flood of keys beyond it is counted as lost. */
const MAX_PENDING = 10_000;

/**
 * Requests answered 429 are counted, not logged: a key past its rate limit must not cost the
 * database a request-log row per call, or the limit would not bound its writes. Counts are
 * summed in memory per project, key and minute, and added to the database once a second (and at
 * shutdown), so a refused call costs a map update. A failed connection keeps the counts for the
 * next write; counts the database refuses are dropped and logged.
 */
export class RefusedRequests {
  private pending = new Map<string, RefusedCount>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private lastWarning = 0;
  private closed = false;
  /** Counts lost since start (more key-minutes at once than the bound, or refused by the database). */
  lost = 0;

  constructor(
    private readonly store: RefusedRequestsStore,
    private readonly opts: { logger: Logger; intervalMs?: number },
  ) {}

  count(projectId: string, keyId: string, at: number): void {
    const minute = at - (at % MINUTE_MS);
    const key = `${projectId}\u0000${keyId}\u0000${minute}`;
    const c = this.pending.get(key);
    if (c) c.count++;
    else if (this.pending.size >= MAX_PENDING) this.lose(1);
    else this.pending.set(key, { project_id: projectId, key_id: keyId, minute, count: 1 });
    this.schedule();
  }

  /** Counts lost, in `lost` and in the request log's drop metric (what the drop alert watches). */
  private lose(n: number): void {
    this.lost += n;
    telemetry.count("portico_request_log_dropped_total", undefined, n);
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** Writes what was counted; never throws. */
  flush(): Promise<void> {
    this.writing ??= this.write().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  private async write(): Promise<void> {
    if (!this.pending.size) return;
    const counts = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.store.add(counts);
    } catch (err) {
      if (!isDataError(err)) {
        for (const c of counts) {
          const key = `${c.project_id}\u0000${c.key_id}\u0000${c.minute}`;
          const now = this.pending.get(key);
          if (now) now.count += c.count;
          else if (this.pending.size < MAX_PENDING) this.pending.set(key, c);
          else this.lose(c.count);
        }
        this.schedule();
      } else this.lose(counts.reduce((n, c) => n + c.count, 0));
      const now = Date.now();
      if (now - this.lastWarning > 60_000) {
        this.lastWarning = now;
        this.opts.logger.warn({ err: (err as Error).message }, "refused-request counts could not be written");
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.writing;
    await this.flush();
  }
}
