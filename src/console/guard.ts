import type { FastifyReply, FastifyRequest } from "fastify";
import { PorticoError } from "../errors.js";
import type { ConsoleAuth, ConsoleSession } from "./auth.js";
import { COOKIE_NAME, readCookie, sessionCookie } from "./cookie.js";

declare module "fastify" {
  interface FastifyRequest {
    consoleSession: ConsoleSession;
  }
}

const SAFE = new Set(["GET", "HEAD"]);

/**
 * Refuses a request that comes from another origin: a change must carry an `Origin` equal to
 * Portico's public origin (browsers always send it on non-GET requests), and a read that says
 * where it comes from (`Origin`, `Sec-Fetch-Site`) must say this origin. With SameSite=Strict
 * cookies this is the console's defence against cross-site request forgery.
 */
export function checkOrigin(request: FastifyRequest, expected: string): void {
  const origin = request.headers.origin;
  const site = request.headers["sec-fetch-site"];
  if (!SAFE.has(request.method)) {
    if (origin !== expected)
      throw new PorticoError("FORBIDDEN", `origin: console changes are accepted from ${expected} only`);
    return;
  }
  if (
    (origin !== undefined && origin !== expected) ||
    (site !== undefined && site !== "same-origin" && site !== "none")
  )
    throw new PorticoError("FORBIDDEN", `origin: console requests are accepted from ${expected} only`);
}

/** onRequest hook of the console API: origin first, then the session cookie. */
export function consoleGuard(auth: ConsoleAuth, expectedOrigin: string, secure: boolean) {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    checkOrigin(request, expectedOrigin);
    const token = readCookie(request.headers.cookie, COOKIE_NAME);
    const session = await auth.authenticate(token);
    if (!session) {
      if (token) reply.header("set-cookie", sessionCookie("", { secure, maxAgeSeconds: 0 }));
      throw new PorticoError(
        "UNAUTHORIZED",
        "console: sign in first with a link from `portico console link`",
      );
    }
    request.consoleSession = session;
    reply.header("cache-control", "no-store");
  };
}
