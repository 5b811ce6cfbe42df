import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { apiKeyActor } from "../history/actor.js";
import { proxiedCall } from "../history/request-log-hook.js";
import { ErrorResponse } from "../http/openapi.js";
import { ProxyHeaders, ProxyRequestBody } from "./schemas.js";
import type { ProxyService } from "./service.js";

export const proxyRoutes: FastifyPluginAsyncZod<{ proxy: ProxyService }> = async (app, { proxy }) => {
  app.post("/unified/proxy", {
    schema: {
      operationId: "stackone_proxy_request",
      tags: ["Proxy"],
      summary:
        "Call the linked account's provider; its status, headers and body come back, and its error answers carry statusCode, message and timestamp",
      headers: ProxyHeaders,
      body: ProxyRequestBody,
      response: {
        200: z.unknown().describe("The provider's response, forwarded"),
        400: ErrorResponse,
        401: ErrorResponse,
        403: ErrorResponse,
        404: ErrorResponse,
        408: ErrorResponse,
        502: ErrorResponse,
      },
    },
    handler: async (request, reply) => {
      const accountId = request.headers["x-account-id"];
      const call = proxiedCall(request, accountId, request.body.method, request.body.path ?? "/");
      const res = await proxy
        .forward(request.principal.projectId, accountId, request.body, {
          actor: apiKeyActor(request.principal),
          call,
        })
        .catch((err: Error) => {
          call.error = err.message;
          throw err;
        });
      reply.code(res.status as 200);
      for (const [k, v] of Object.entries(res.headers)) reply.header(k, v);
      return reply.send(res.body);
    },
  });
};
