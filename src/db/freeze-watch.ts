import { DatabaseUnavailableError } from "./availability.js";

export type FreezeWatchOptions = {
  /** Asks the database for an answer on a connection of its own; rejects past `probeMs`. */
  probe: () => Promise<void>;
  /** How long the probe may take (PORTICO_READYZ_TIMEOUT_MS): past it, the database is down. */
  probeMs: number;
  /** Called when a probe fails: opens the outage (availability.report). */
  down: (err: Error) => void;
  /** How old the oldest waiting operation must be before a probe is sent. */
  suspectMs?: number;
  now?: () => number;
};

type Pending = { since: number; fail: (err: Error) => void };

/**
 * Notices a database that stopped answering without closing anything: a frozen PostgreSQL
 * (SIGSTOP, a stalled disk, a VM paused) keeps its connections open, so nothing fails until a
 * connect timeout (5 s) or a query timeout (15 s) passes, while every request waits. Here every
 * connection wait and query is tracked; once one has waited `suspectMs` (100 ms), a probe
 * (`select 1` on a connection of its own, kept open) gets `probeMs` to answer. If it does not, the outage opens at once: what is
 * waiting fails with DatabaseUnavailableError (a 503) and later calls fail before trying, until
 * the availability probe sees the database answer again. A slow query on a live database only
 * costs a probe that answers. Nothing runs while nothing waits.
 */
export class FreezeWatch {
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | null = null;
  private probing = false;
  /** When a probe last answered: no new one for `suspectMs` after it. */
  private lastAnswer = 0;
  private readonly suspectMs: number;

  constructor(private readonly opts: FreezeWatchOptions) {
    this.suspectMs = opts.suspectMs ?? Math.max(25, Math.min(100, Math.floor(opts.probeMs / 4)));
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /**
   * Waits for `work`, unless the database is found frozen first: then it rejects at once with
   * DatabaseUnavailableError and `abandoned` is called (to drop the connection it held). What
   * `work` does later is ignored, except a value it still yields, passed to `late` (a connection
   * that opened after all, to be released).
   */
  track<T>(work: Promise<T>, abandoned?: () => void, late?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const entry: Pending = {
        since: this.now(),
        fail: (err) => {
          if (settled) return;
          settled = true;
          this.pending.delete(entry);
          abandoned?.();
          reject(err);
        },
      };
      this.pending.add(entry);
      this.start();
      work.then(
        (value) => {
          if (settled) return late?.(value);
          settled = true;
          this.pending.delete(entry);
          resolve(value);
        },
        (err) => {
          if (settled) return;
          settled = true;
          this.pending.delete(entry);
          reject(err);
        },
      );
    });
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), Math.max(20, Math.floor(this.suspectMs / 4)));
    this.timer.unref();
  }

  private tick(): void {
    if (!this.pending.size) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    if (this.probing) return;
    const now = this.now();
    if (now - this.lastAnswer < this.suspectMs) return;
    let oldest = now;
    for (const p of this.pending) oldest = Math.min(oldest, p.since);
    if (now - oldest < this.suspectMs) return;
    this.probing = true;
    this.opts.probe().then(
      () => {
        this.probing = false;
        this.lastAnswer = this.now();
      },
      (err: Error) => {
        this.probing = false;
        this.frozen(
          new DatabaseUnavailableError(
            `the database did not answer a probe within ${this.opts.probeMs} ms (${err.message})`,
          ),
        );
      },
    );
  }

  /** Opens the outage and fails everything waiting: none of it will be answered in time. */
  private frozen(err: Error): void {
    this.opts.down(err);
    this.failAll(err);
  }

  /** Fails everything waiting (the outage is known another way, or the pool is closing). */
  failAll(err: Error = new DatabaseUnavailableError()): void {
    for (const p of [...this.pending]) p.fail(err);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
