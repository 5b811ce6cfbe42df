import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ErrorResponse } from "../http/openapi.js";
import { wireProfileOf } from "../http/wire-profile.js";
import {
  ConnectSession,
  ConnectSessionAuthenticate,
  ConnectSessionCreate,
  ConnectSessionTokenAuthLink,
  forClient,
} from "./schemas.js";
import type { SessionsService } from "./service.js";

export const sessionsRoutes: FastifyPluginAsyncZod<{ sessions: SessionsService }> = async (
  app,
  { sessions },
) => {
  app.post("/connect_sessions", {
    config: { scopes: ["connect"] },
    schema: {
      operationId: "stackone_create_connect_session",
      tags: ["Connect Sessions"],
      summary: "Create a connect session",
      body: ConnectSessionCreate,
      response: {
        201: ConnectSessionTokenAuthLink,
        400: ErrorResponse,
        401: ErrorResponse,
        404: ErrorResponse,
      },
    },
    // The response schemas describe the newest contract for OpenAPI; the answer is the caller's.
    handler: async (request, reply) =>
      reply
        .status(201)
        .send(
          forClient(
            await sessions.create(request.principal, request.body),
            wireProfileOf(request).contract,
          ) as never,
        ),
  });

  app.post("/connect_sessions/authenticate", {
    config: { scopes: ["connect"] },
    schema: {
      operationId: "stackone_authenticate_connect_session",
      tags: ["Connect Sessions"],
      summary: "Authenticate a connect session token",
      body: ConnectSessionAuthenticate,
      response: { 201: ConnectSession, 400: ErrorResponse, 401: ErrorResponse },
    },
    handler: async (request, reply) =>
      reply
        .status(201)
        .send(
          forClient(
            await sessions.authenticate(request.principal, request.body.token),
            wireProfileOf(request).contract,
          ) as never,
        ),
  });
};
