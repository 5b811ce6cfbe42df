import type { ProviderStep } from "../history/request-log-hook.js";
import type { OutboundResponse } from "../http/outbound.js";

/**
 * The proxy's retries, as StackOne makes them:
 * - a 429 is retried for every method (the provider did not process the request);
 * - a 502, 503 or 504 only for idempotent methods (RFC 9110 §9.2.2), which may safely run twice;
 * - at most 5 retries, each after the provider's `Retry-After` (seconds or an HTTP date,
 *   RFC 9110 §10.2.3) or, without one, a short exponential backoff with jitter;
 * - all within the proxy's one time limit: a wait that would end past it is not taken, and the
 *   caller gets the last answer as it came, never a Portico error for an exhausted budget.
 */
export const MAX_RETRIES = 5;

/** The header a caller sends (`off`, `false`, `0` or `none`) to turn retries off for one call. */
export const NO_RETRY_HEADER = "x-portico-retry";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;

/** False when the caller's header turns retries off. */
export const retriesWanted = (header: string | string[] | undefined): boolean => {
  const v = (Array.isArray(header) ? header[0] : header)?.trim().toLowerCase();
  return !(v === "off" || v === "false" || v === "0" || v === "none");
};

export function retryable(method: string, status: number): boolean {
  if (status === 429) return true;
  return (status === 502 || status === 503 || status === 504) && IDEMPOTENT.has(method.toUpperCase());
}

/** Milliseconds a `Retry-After` asks for, or null when there is none that parses. */
export function retryAfterMs(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

const backoffMs = (retry: number) =>
  Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** retry) * (0.5 + Math.random() * 0.5);

export type RetryOptions = {
  method: string;
  /** When the whole call must be done (epoch ms): the proxy's time limit from its start. */
  deadline: number;
  enabled: boolean;
  /** Filled with one step per attempt, for the request log. */
  steps?: ProviderStep[];
  sleep?: (ms: number) => Promise<void>;
};

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends, and sends again while the answer is retryable and the budget allows. `send` gets the
 * time left for its attempt. A first attempt that throws (timeout, unreachable) ends the call with
 * that error, as a single call would; a retry that throws (the time limit ran out during it, the
 * provider went away) gives the caller the answer it had, never a Portico error.
 */
export async function withRetries(
  send: (timeoutMs: number) => Promise<OutboundResponse>,
  opts: RetryOptions,
): Promise<OutboundResponse> {
  const sleep = opts.sleep ?? wait;
  let previous: OutboundResponse | null = null;
  for (let retry = 0; ; retry++) {
    const started = Date.now();
    let res: OutboundResponse;
    try {
      res = await send(Math.max(1, opts.deadline - started));
    } catch (err) {
      opts.steps?.push({ status: null, started_at: started, duration_ms: Date.now() - started });
      if (previous) return previous;
      throw err;
    }
    previous = res;
    const now = Date.now();
    opts.steps?.push({ status: res.status, started_at: started, duration_ms: now - started });
    if (!opts.enabled || retry >= MAX_RETRIES || !retryable(opts.method, res.status)) return res;
    const delay = retryAfterMs(res.headers["retry-after"], now) ?? backoffMs(retry);
    // The next attempt needs time to run too: a wait that leaves none is not worth taking.
    if (now + delay + 100 >= opts.deadline) return res;
    await sleep(delay);
  }
}
