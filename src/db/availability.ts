import type { Logger } from "pino";

/** Thrown without trying while the database is known to be down: the answer is a 503 at once. */
export class DatabaseUnavailableError extends Error {
  override name = "DatabaseUnavailableError";
  constructor(message = "the database is unavailable") {
    super(message);
  }
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** node-postgres' own messages for a server that is gone or silent. */
const PG_GONE =
  /^(Connection terminated|Query read timeout|timeout exceeded when trying to connect)|not queryable/;

/**
 * What a database error says about the database, not the request:
 * - `down`: it cannot be reached or does not answer (refused or dropped connections, connect and
 *   read timeouts, a server shutting down or starting, no connection slot, SQLite's lock held past
 *   the busy timeout or its file failing);
 * - `slow`: it answered that a statement ran past the statement timeout;
 * - null: anything else (a bug, a constraint, bad input), which is not an outage.
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html (classes 08, 53, 57)
 */
export function databaseFault(err: unknown): "down" | "slow" | null {
  if (err instanceof DatabaseUnavailableError) return "down";
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== "object") return null;
  const code = typeof e.code === "string" ? e.code : "";
  if (code === "57014") return "slow";
  if (
    NETWORK_CODES.has(code) ||
    code.startsWith("08") ||
    code === "53300" ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    /^SQLITE_(BUSY|IOERR|FULL|CANTOPEN|PROTOCOL)/.test(code)
  )
    return "down";
  return typeof e.message === "string" && PG_GONE.test(e.message) ? "down" : null;
}

/**
 * Whether a statement failed on the data it was given, so that the same data will always fail
 * (and other data would not): PostgreSQL's classes 22 (data exception: NUL in text, a number out
 * of range) and 23 (integrity constraint: NOT NULL, unique), SQLite's constraint, type and size
 * errors. Anything else (a lost connection, a timeout, a missing table during an upgrade) may
 * pass on a retry.
 * @see https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return (
    /^2[23][0-9A-Z]{3}$/.test(code) ||
    code.startsWith("SQLITE_CONSTRAINT") ||
    code === "SQLITE_MISMATCH" ||
    code === "SQLITE_TOOBIG"
  );
}

export type AvailabilityOptions = {
  /** Checks the database on a path of its own (not the pool it watches); throws when it is down. */
  probe: () => Promise<void>;
  /** Whether requests should fail at once while down, instead of each waiting for its timeout. */
  gate: boolean;
  probeEveryMs?: number;
  logger?: Logger;
};

/**
 * Whether the database answers, learnt from the errors requests and jobs meet (no work on a
 * request that succeeds). The first failure of an outage is logged once; meanwhile a probe runs
 * in the background, requests fail at once (when gated) and are counted; the first probe that
 * succeeds ends the outage and logs how long it lasted and how many requests were refused.
 */
export class DatabaseAvailability {
  private outage: { since: number; refused: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly opts: AvailabilityOptions) {}

  /** True while an outage is under way and requests should not wait for the database. */
  get down(): boolean {
    return this.opts.gate && this.outage !== null;
  }

  /**
   * Notes an error met by a request or a job. Returns true when it is a database fault (answer
   * 503); an outage starts with the first `down` fault and is logged once.
   */
  report(err: unknown): boolean {
    const fault = databaseFault(err);
    if (fault === null) return false;
    if (fault === "slow") return true;
    if (this.outage) {
      this.outage.refused++;
      return true;
    }
    this.outage = { since: Date.now(), refused: 1 };
    this.opts.logger?.error(
      { err: (err as Error).message },
      "database unavailable: answering 503 until it answers again",
    );
    this.schedule(0);
    return true;
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.opts.probe().then(
        () => this.recovered(),
        () => this.schedule(this.opts.probeEveryMs ?? 500),
      );
    }, delayMs);
    this.timer.unref();
  }

  private recovered(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = null;
    this.opts.logger?.warn(
      { down_ms: Date.now() - outage.since, refused: outage.refused },
      "database available again",
    );
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
