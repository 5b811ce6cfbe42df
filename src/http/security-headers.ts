import type { FastifyInstance } from "fastify";

/**
 * The response headers helmet would set with Portico's options (CSP is per page, see hub/pages.ts),
 * as one precomputed object: helmet's middleware chain cost a fifth of a simple request's time.
 * Pages and what they load (the hosted hub, the console, the docs, the sandbox, OAuth pages,
 * logos) carry them all.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "origin-agent-cluster": "?1",
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-dns-prefetch-control": "off",
  "x-download-options": "noopen",
  "x-frame-options": "SAMEORIGIN",
  "x-permitted-cross-domain-policies": "none",
  "x-xss-protection": "0",
});

/**
 * JSON answers of the APIs (StackOne's, the hub's, Portico's own): no browser renders, frames or
 * opens them, so the headers about documents say nothing there. Setting all eleven on every
 * call cost about 5 µs a request, a twentieth of an authenticate.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "referrer-policy": "no-referrer",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
});

/** First path segments of the JSON APIs. */
const API_SEGMENTS = new Set([
  "connect_sessions",
  "accounts",
  "connectors",
  "unified",
  "portico",
  "requests",
  "hub",
  "healthz",
  "readyz",
  "openapi.json",
]);

/** `/accounts/acc_1?x` -> `accounts`. */
function firstSegment(url: string): string {
  let end = url.length;
  for (let i = 1; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f) {
      end = i;
      break;
    }
  }
  return url.slice(1, end);
}

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onRequest", (request, reply, done) => {
    reply.headers(API_SEGMENTS.has(firstSegment(request.url)) ? API_SECURITY_HEADERS : SECURITY_HEADERS);
    done();
  });
}
