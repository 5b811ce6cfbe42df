import type { FastifyRequest } from "fastify";
import { PorticoError } from "../errors.js";
import { telemetry } from "../telemetry/telemetry.js";
import { addressBucket, clientAddress } from "./client-address.js";
import type { RateLimiter } from "./rate-limit.js";
import { INTERNAL_CALLER } from "./rate-limit-hooks.js";

/**
 * A per-address limit on failed authentication, for one surface (API keys, hub tokens, console
 * sign-in, and any sign-in path added later): an address that failed `perMinute` times in the
 * last minute has its next attempts refused with a 429 and Retry-After, before the credential is
 * looked up, so guessing costs neither a database lookup nor an answer that says anything.
 * Counts are shared by every node through the rate limiter (rate-limit.ts), like the other
 * limits. A credential this node already knows to be valid (its short-lived caches) is never
 * refused: a busy backend behind the same address as a guesser keeps working.
 *
 * Use: `check(request)` before verifying what the client sent, `failed(request)` when it was
 * refused.
 */
export type FailedAuthLimit = {
  /** Throws the 429 when this address has failed too often on this surface. */
  check(request: FastifyRequest): void;
  /** Counts one failed authentication from this address on this surface. */
  failed(request: FastifyRequest): void;
};

const internal = (request: FastifyRequest) => request.raw.socket?.remoteAddress === INTERNAL_CALLER;

/** The limit for one surface (`api-key`, `hub`, `console`...); null when off (0). */
export function failedAuthLimit(
  limiter: RateLimiter,
  perMinute: number,
  surface: string,
): FailedAuthLimit | null {
  if (perMinute <= 0) return null;
  const bucket = (request: FastifyRequest) => `auth-fail:${surface}:${addressBucket(clientAddress(request))}`;
  return {
    check(request) {
      if (internal(request)) return;
      const verdict = limiter.peek(bucket(request), perMinute);
      if (verdict.allowed) return;
      // One limit in the metrics for every surface: the alert on refusals sees guessing too.
      telemetry.count("portico_rate_limited_total", { limit: "failed-auth" });
      throw new PorticoError(
        "TOO_MANY_REQUESTS",
        `Too many failed authentications from this address: at most ${perMinute} per minute; retry in ${verdict.resetSeconds} s`,
        {},
        { "retry-after": String(verdict.resetSeconds) },
      );
    },
    failed(request) {
      if (!internal(request)) limiter.add(bucket(request), 1, perMinute);
    },
  };
}
