import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { PorticoError } from "../errors.js";
import type { FailedAuthLimit } from "../http/failed-auth-limit.js";
import type { Principal, TenancyService } from "./service.js";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * The API key from an HTTP Basic header: the username, with the password empty. The colon-less
 * form (base64 of the bare key) that older StackOne docs show is accepted too.
 * @see RFC 7617
 */
export function apiKeyFromBasic(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const i = decoded.indexOf(":");
  const key = i === -1 ? decoded : decoded.slice(0, i);
  return key.length > 0 ? key : null;
}

/** Checks the per-key rate limit of an authenticated key (see http/rate-limit-hooks.ts). */
export type KeyLimit = (keyId: string, projectPerMinute: number | null, reply: FastifyReply) => void;

/**
 * onRequest hook for the public API: resolves the caller's project or answers 401, then applies
 * the key's rate limit (in this hook, so a limit that is off costs no hook of its own). A key
 * looked up moments ago is answered from the cache without a promise: most requests of a busy key.
 * A key that is not in the cache is looked up only while its address is under the failed
 * authentication limit (`failures`); each refused key counts against it.
 */
export function apiKeyAuth(tenancy: TenancyService, limit?: KeyLimit, failures?: FailedAuthLimit | null) {
  return function authenticate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    const finish = (principal: Principal | null | undefined) => {
      if (!principal) {
        if (request.headers.authorization !== undefined) failures?.failed(request);
        return done(new PorticoError("UNAUTHORIZED"));
      }
      request.principal = principal;
      try {
        limit?.(principal.keyId, principal.rateLimitPerMinute, reply);
      } catch (err) {
        return done(err as Error);
      }
      done();
    };
    const key = apiKeyFromBasic(request.headers.authorization);
    if (!key) return finish(null);
    const cached = tenancy.cachedPrincipal(key);
    if (cached) return finish(cached);
    try {
      failures?.check(request);
    } catch (err) {
      return done(err as Error);
    }
    tenancy.authenticate(key).then(finish, done);
  };
}
