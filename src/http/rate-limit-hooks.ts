import type { FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import { PorticoError } from "../errors.js";
import { telemetry } from "../telemetry/telemetry.js";
import { addressBucket, clientAddress } from "./client-address.js";
import type { RateLimiter, Verdict } from "./rate-limit.js";

/** The socket address of Portico's own in-process calls (the sandbox behind the proxy): never limited. */
export const INTERNAL_CALLER = "portico-internal";

/**
 * Tells the client where it stands (IETF RateLimit-Policy and RateLimit fields, on every answer of
 * a limited route) and refuses with StackOne's 429 and Retry-After past the limit.
 * @see https://datatracker.ietf.org/doc/draft-ietf-httpapi-ratelimit-headers/
 */
export function enforce(reply: FastifyReply, verdict: Verdict, policy: string, what: string): void {
  reply.header("ratelimit-policy", `"${policy}";q=${verdict.limit};w=60`);
  reply.header("ratelimit", `"${policy}";r=${verdict.remaining};t=${verdict.resetSeconds}`);
  if (!verdict.allowed) {
    telemetry.count("portico_rate_limited_total", { limit: policy });
    throw new PorticoError(
      "TOO_MANY_REQUESTS",
      `Too many requests: at most ${verdict.limit} per minute ${what}; retry in ${verdict.resetSeconds} s`,
      {},
      { "retry-after": String(verdict.resetSeconds) },
    );
  }
}

/**
 * The per-key limit, checked by the API-key hook once it knows the key: the project's own limit,
 * or `defaultPerMinute`; 0 is off and costs one comparison.
 */
export function keyRateLimit(limiter: RateLimiter, defaultPerMinute: number) {
  return (keyId: string, projectPerMinute: number | null, reply: FastifyReply): void => {
    const limit = projectPerMinute ?? defaultPerMinute;
    if (limit > 0) enforce(reply, limiter.take(`key:${keyId}`, limit), "api-key", "for this API key");
  };
}

export type AddressLimit = (request: FastifyRequest, reply: FastifyReply) => void;

/**
 * The per-address limit of the public surfaces, by the client's address (X-Forwarded-For counts
 * only from PORTICO_TRUSTED_PROXIES, through Fastify's trustProxy). Null when off: no hook at all.
 */
export function addressRateLimit(limiter: RateLimiter, perMinute: number): AddressLimit | null {
  if (perMinute <= 0) return null;
  return (request, reply) => {
    if (request.raw.socket?.remoteAddress === INTERNAL_CALLER) return;
    enforce(
      reply,
      limiter.take(`ip:${addressBucket(clientAddress(request))}`, perMinute),
      "address",
      "from this address",
    );
  };
}

/** An address limit as an onRequest hook. */
export const asHook =
  (limit: AddressLimit): onRequestHookHandler =>
  (request, reply, done) => {
    try {
      limit(request, reply);
    } catch (err) {
      return done(err as Error);
    }
    done();
  };
