/**
 * How long to wait before restarting a worker that died: half a second after a worker that ran a
 * while, doubling for each one in a row that died soon after starting (a crash loop), up to 30 s.
 * A loop of crashing workers then costs a start every 30 s, not a core.
 */
export class RestartBackoff {
  private quickDeaths = 0;

  constructor(
    private readonly baseMs = 500,
    private readonly maxMs = 30_000,
    /** A worker that lived this long was not crash-looping. */
    private readonly stableMs = 30_000,
  ) {}

  /** The delay before the next start, given how long the worker that died had been running. */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.stableMs) this.quickDeaths = 0;
    const delay = Math.min(this.baseMs * 2 ** this.quickDeaths, this.maxMs);
    if (uptimeMs < this.stableMs) this.quickDeaths++;
    return delay;
  }
}
