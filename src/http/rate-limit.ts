import type { Logger } from "pino";
import type { DatabaseAvailability } from "../db/availability.js";
import type { Counter, RateLimitCounters } from "../db/rate-limit-counters.js";

const WINDOW_MS = 60_000;

/** What a limited request is told: whether it may go on, and the state of its quota. */
export type Verdict = {
  allowed: boolean;
  limit: number;
  /** Requests left before the limit (after this one, when allowed). */
  remaining: number;
  /** Seconds until the quota is whole again (when allowed) or one request is (when refused). */
  resetSeconds: number;
};

/** One limited bucket (an API key, a client address) as this node knows it. */
type Bucket = {
  /** Epoch ms at which the current minute started. */
  window: number;
  /** The minute's count over every node, as of the last exchange with the database. */
  shared: number;
  /** Counted here and being added to the shared counter right now. */
  sending: number;
  /** Counted here and not yet sent. */
  pending: number;
  /** The previous minute's count over every node, and whether it has been read back. */
  previous: number;
  previousRead: boolean;
};

export type RateLimiterOptions = {
  /** How often local counts are exchanged with the shared counters (besides when one fills up). */
  syncMs?: number;
  /** Buckets kept in memory at most; beyond, the oldest are forgotten (their counts still sent). */
  maxBuckets?: number;
  now?: () => number;
  availability?: DatabaseAvailability;
  logger?: Logger;
};

/**
 * Rate limits shared by every node on one database, with no database round trip on a request.
 *
 * Each node counts requests per bucket in memory and adds its counts to a shared counter per
 * bucket and minute (rate_limit_counters) a few times a second, reading the total back. The
 * window slides: the previous minute's total counts in proportion to how much of it is still
 * within the last 60 s, so a burst across a minute boundary is held to the limit too. A bucket
 * also exchanges as soon as it has counted 1% of its limit since the last exchange, so what one
 * node cannot yet see of the others stays a few percent of the limit, and near the limit each node
 * waits for the database to confirm its counts before letting more through (see `peek`). Requests
 * refused are not counted. When the database cannot be reached, each node goes on counting on its own.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  /** Buckets with something to send or to read back. */
  private readonly dirty = new Set<string>();
  /** Counts of a minute that ended before they were sent. */
  private late: Counter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private exchanging: Promise<void> | null = null;
  /** The last exchange failed: this node counts on its own until one succeeds. */
  private alone = false;
  private again = false;
  private sweptWindow = 0;
  /** Counters of minutes before this are deleted (by whichever node gets there first). */
  private purgedBefore = 0;
  private readonly syncMs: number;
  private readonly maxBuckets: number;

  constructor(
    private readonly counters: RateLimitCounters,
    private readonly opts: RateLimiterOptions = {},
  ) {
    this.syncMs = opts.syncMs ?? 250;
    this.maxBuckets = opts.maxBuckets ?? 100_000;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** Counts one request of `cost` against `limit` per minute, unless that would exceed it. */
  take(key: string, limit: number, cost = 1): Verdict {
    const verdict = this.peek(key, limit, cost);
    if (verdict.allowed) this.add(key, cost, limit);
    return verdict;
  }

  /** Whether `cost` more would fit, without counting it. */
  peek(key: string, limit: number, cost = 1): Verdict {
    const now = this.now();
    const b = this.bucket(key, now);
    const elapsed = now - b.window;
    const carried = b.previous * (1 - elapsed / WINDOW_MS);
    const current = b.shared + b.sending + b.pending;
    const used = carried + current;
    if (used + cost <= limit) {
      // What the other nodes counted and not yet shared is unknown here: each node keeps what it
      // let through and the database has not yet confirmed to a quarter of what it sees left (at
      // least 1% of the limit), so together the nodes cannot overrun the limit by more than a few
      // percent, and the closer the limit the more they wait for the database. Far from it the
      // allowance is large: a burst is not refused for the database being a round trip behind.
      const unconfirmed = b.sending + b.pending + cost;
      const allowance = Math.max(Math.ceil(limit * 0.01), (limit - used) / 4);
      if (!this.alone && unconfirmed > allowance)
        return { allowed: false, limit, remaining: 0, resetSeconds: 1 };
      const remaining = Math.max(0, Math.floor(limit - used - cost));
      return { allowed: true, limit, remaining, resetSeconds: seconds(WINDOW_MS - elapsed) };
    }
    return { allowed: false, limit, remaining: 0, resetSeconds: seconds(waitFor(b, limit, cost, elapsed)) };
  }

  /** Counts `cost` requests, allowed or not (work already done, such as a replay). */
  add(key: string, cost: number, limit: number): void {
    const b = this.bucket(key, this.now());
    b.pending += cost;
    this.dirty.add(key);
    if (b.pending >= Math.max(1, Math.floor(limit / 100))) this.exchangeSoon();
    else this.start();
  }

  private bucket(key: string, now: number): Bucket {
    const window = now - (now % WINDOW_MS);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxBuckets) this.forgetOldest();
      b = {
        window,
        shared: 0,
        sending: 0,
        pending: 0,
        previous: 0,
        previousRead: false,
      };
      this.buckets.set(key, b);
      // Read what the other nodes counted before this one started counting.
      this.dirty.add(key);
      this.exchangeSoon();
    } else if (b.window !== window) {
      if (b.pending > 0) this.late.push({ bucket: key, window_start: b.window, count: b.pending });
      const adjacent = b.window === window - WINDOW_MS;
      b.previous = adjacent ? b.shared + b.sending + b.pending : 0;
      b.previousRead = !adjacent;
      Object.assign(b, { window, shared: 0, sending: 0, pending: 0 });
      this.dirty.add(key);
    }
    if (window !== this.sweptWindow) this.sweep(window);
    return b;
  }

  /** Once a minute: buckets idle for more than a minute are forgotten. */
  private sweep(window: number): void {
    this.sweptWindow = window;
    for (const [key, b] of this.buckets) if (b.window < window - WINDOW_MS) this.buckets.delete(key);
  }

  private forgetOldest(): void {
    const [key, b] = this.buckets.entries().next().value!;
    if (b.pending > 0) this.late.push({ bucket: key, window_start: b.window, count: b.pending });
    this.buckets.delete(key);
    this.dirty.delete(key);
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.dirty.size || this.late.length) this.exchangeSoon();
    }, this.syncMs);
    this.timer.unref();
  }

  /** Starts an exchange now, or right after the one under way. */
  private exchangeSoon(): void {
    this.start();
    if (this.exchanging) {
      this.again = true;
      return;
    }
    this.exchanging = this.exchange().finally(() => {
      this.exchanging = null;
      if (this.again) {
        this.again = false;
        this.exchangeSoon();
      }
    });
  }

  /** Sends what was counted here, reads back the totals, and reads previous minutes not yet known. */
  private async exchange(): Promise<void> {
    const sent = new Map<string, { bucket: Bucket; window: number; count: number }>();
    const late = this.late;
    this.late = [];
    const rows: Counter[] = [...late];
    const unread = new Map<number, string[]>();
    for (const key of this.dirty) {
      const b = this.buckets.get(key);
      if (!b) continue;
      rows.push({ bucket: key, window_start: b.window, count: b.pending });
      sent.set(key, { bucket: b, window: b.window, count: b.pending });
      b.sending += b.pending;
      b.pending = 0;
      if (!b.previousRead)
        unread.set(b.window - WINDOW_MS, [...(unread.get(b.window - WINDOW_MS) ?? []), key]);
    }
    this.dirty.clear();
    try {
      const totals = await this.counters.add(rows);
      this.alone = false;
      for (const total of totals) {
        const s = sent.get(total.bucket);
        if (!s || s.window !== total.window_start) continue;
        if (s.bucket.window === s.window) {
          s.bucket.sending -= s.count;
          s.bucket.shared = total.count - s.bucket.sending;
        }
        sent.delete(total.bucket);
      }
      for (const [window, keys] of unread) {
        const counts = await this.counters.counts(keys, window);
        for (const key of keys) {
          const b = this.buckets.get(key);
          if (b && b.window === window + WINDOW_MS) {
            b.previous = Math.max(b.previous, counts.get(key) ?? 0);
            b.previousRead = true;
          }
        }
      }
      const now = this.now();
      const window = now - (now % WINDOW_MS);
      if (this.purgedBefore < window - WINDOW_MS) {
        this.purgedBefore = window - WINDOW_MS;
        await this.counters.purgeBefore(this.purgedBefore);
      }
    } catch (err) {
      // Counts not sent are kept and sent with the next exchange; meanwhile this node counts alone.
      this.alone = true;
      this.late.push(...late);
      for (const [key, s] of sent) {
        if (s.bucket.window === s.window && this.buckets.get(key) === s.bucket) {
          s.bucket.sending -= s.count;
          s.bucket.pending += s.count;
          this.dirty.add(key);
        } else if (s.count > 0) this.late.push({ bucket: key, window_start: s.window, count: s.count });
      }
      if (!this.opts.availability?.report(err))
        this.opts.logger?.warn({ err: (err as Error).message }, "rate limit counters could not be shared");
    }
  }

  /** Stops exchanging; what is still counted here is sent once more. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.exchanging;
    if (this.dirty.size || this.late.length) await this.exchange();
  }
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * How long until `cost` more fits, if nothing else is counted: the previous minute's share fades
 * as the window slides, and at the next minute this one's count becomes the fading share.
 */
function waitFor(b: Bucket, limit: number, cost: number, elapsed: number): number {
  const current = b.shared + b.sending + b.pending;
  if (current + cost <= limit) {
    if (b.previous <= 0) return 0;
    const fadedAt = WINDOW_MS * (1 - (limit - current - cost) / b.previous);
    return Math.max(0, fadedAt - elapsed);
  }
  const intoNext = current > 0 ? WINDOW_MS * (1 - (limit - cost) / current) : 0;
  return WINDOW_MS - elapsed + Math.max(0, intoNext);
}
