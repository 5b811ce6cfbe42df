import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { apiKeyActor } from "../history/actor.js";
import { type ProxiedCall, proxiedCall } from "../history/request-log-hook.js";
import { ErrorResponse } from "../http/openapi.js";
import { wireProfileOf } from "../http/wire-profile.js";
import { telemetry } from "../telemetry/telemetry.js";
import { proxySuccessStatus, toProxyResponseModel } from "./response-model.js";
import { NO_RETRY_HEADER, retriesWanted } from "./retry.js";
import { ProxyHeaders, ProxyRequestBody, ProxyResponseApiModel } from "./schemas.js";
import type { ProxyResult, ProxyService } from "./service.js";

const errors = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  408: ErrorResponse,
  502: ErrorResponse,
};

export const proxyRoutes: FastifyPluginAsyncZod<{ proxy: ProxyService }> = async (app, { proxy }) => {
  type Call = FastifyRequest & { headers: ProxyHeaders; body: ProxyRequestBody };
  /** Forwards, filling the request-log record's provider call as it goes. */
  const forward = (request: Call) => {
    const accountId = request.headers["x-account-id"];
    const call = proxiedCall(request, accountId, request.body.method, request.body.path ?? "/");
    const started = performance.now();
    return proxy
      .forward(request.principal.projectId, accountId, request.body, {
        actor: apiKeyActor(request.principal),
        call,
        retries: retriesWanted(request.headers[NO_RETRY_HEADER]),
      })
      .catch((err: Error) => {
        call.error = err.message;
        throw err;
      })
      .finally(() => observeCall(call, started));
  };

  app.post("/unified/proxy", {
    config: { scopes: ["proxy"] },
    schema: {
      operationId: "stackone_proxy_request",
      tags: ["Proxy"],
      summary:
        "Call the linked account's provider: its answer as {status, headers, data}; its error answers as statusCode, message and timestamp",
      description:
        "`Prefer: heartbeat` (TS SDK 4.33.2) is accepted and not applied: the answer is sent whole when the provider's is in.",
      headers: ProxyHeaders,
      body: ProxyRequestBody,
      response: {
        200: ProxyResponseApiModel,
        201: ProxyResponseApiModel,
        202: ProxyResponseApiModel,
        ...errors,
      },
    },
    handler: async (request, reply) => {
      const res = await forward(request);
      if (res.status >= 400) return sendAsIs(reply, res);
      return reply
        .code(proxySuccessStatus(res.status, wireProfileOf(request).contract) as 200)
        .send(toProxyResponseModel(res));
    },
  });

  app.post("/portico/v1/proxy/raw", {
    config: { scopes: ["proxy"] },
    schema: {
      operationId: "portico_proxy_raw",
      tags: ["Proxy"],
      summary:
        "The same call as /unified/proxy, answered with the provider's own status, headers and bytes (file downloads)",
      headers: ProxyHeaders,
      body: ProxyRequestBody,
      response: { 200: z.unknown().describe("The provider's body, as it is"), ...errors },
    },
    handler: async (request, reply) => sendAsIs(reply, await forward(request)),
  });
};

/**
 * The call in the proxy's metrics once a request to the provider was sent (an unknown account, a
 * refused header or a failed token refresh never got that far): by provider key and the
 * provider's status, `error` when no answer came.
 */
function observeCall(call: ProxiedCall, started: number): void {
  const provider = call.provider;
  if (!provider || call.url === null) return;
  telemetry.count("portico_proxy_requests_total", {
    provider,
    status: call.status === null ? "error" : String(call.status),
  });
  telemetry.observe("portico_proxy_request_duration_seconds", (performance.now() - started) / 1000, {
    provider,
  });
  telemetry.annotate({ "portico.provider": provider });
}

/** The provider's answer as it came; an error is already in StackOne's shape (`providerErrorResult`). */
function sendAsIs(reply: FastifyReply, res: ProxyResult) {
  reply.code(res.status);
  for (const [k, v] of Object.entries(res.headers)) reply.header(k, v);
  return reply.send(res.body);
}
