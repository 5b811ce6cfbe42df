import type { FastifyReply, FastifyRequest } from "fastify";
import { PorticoError } from "../errors.js";
import type { FailedAuthLimit } from "../http/failed-auth-limit.js";
import type { SessionsService } from "../sessions/service.js";
import type { SessionRow } from "../sessions/store.js";

declare module "fastify" {
  interface FastifyRequest {
    hubSession: SessionRow;
  }
}

export const HUB_TOKEN_HEADER = "x-hub-session-token";

/**
 * onRequest hook for /hub/*: the live connect session named by `x-hub-session-token`. A 401 is
 * what the hub treats as "token expired" (hub-api.md section 2). Preflights pass untouched.
 * Refusals count against the client address's public limit (a 429 past it) and against its failed
 * authentication limit (`failures`): past that one, a token this node has not just seen valid is
 * refused with a 429 before it is looked up.
 */
export function hubSessionAuth(
  sessions: SessionsService,
  refusalLimit?: (request: FastifyRequest, reply: FastifyReply) => void,
  failures?: FailedAuthLimit | null,
) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.method === "OPTIONS") return;
    const header = request.headers[HUB_TOKEN_HEADER];
    const token = typeof header === "string" ? header : undefined;
    if (token !== undefined && !sessions.cached(token)) failures?.check(request);
    const session = await sessions.resolve(token);
    if (!session) {
      if (token !== undefined) failures?.failed(request);
      refusalLimit?.(request, reply);
      throw new PorticoError("UNAUTHORIZED", "The connect session token is invalid or expired");
    }
    request.hubSession = session;
  };
}
