import type { FastifyReply, FastifyRequest } from "fastify";
import { PorticoError } from "../errors.js";
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
 * Refusals count against the client address's limit (a 429 past it), so guessing tokens is
 * throttled while hub users with valid sessions never are.
 */
export function hubSessionAuth(
  sessions: SessionsService,
  refusalLimit?: (request: FastifyRequest, reply: FastifyReply) => void,
) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.method === "OPTIONS") return;
    const token = request.headers[HUB_TOKEN_HEADER];
    const session = await sessions.resolve(typeof token === "string" ? token : undefined);
    if (!session) {
      refusalLimit?.(request, reply);
      throw new PorticoError("UNAUTHORIZED", "The connect session token is invalid or expired");
    }
    request.hubSession = session;
  };
}
