import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ErrorResponse } from "../http/openapi.js";
import {
  LogIdParams,
  LogQuery,
  RequestLogsQuery,
  UnifiedLogResult,
  UnifiedLogsPaginated,
} from "./schemas.js";
import type { HistoryService } from "./service.js";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse };

/** StackOne's Request Logs API over Portico's request log, scoped to the caller's project. */
export const requestLogRoutes: FastifyPluginAsyncZod<{ history: HistoryService }> = async (
  app,
  { history },
) => {
  app.get("/requests/logs", {
    config: { scopes: ["read"] },
    schema: {
      operationId: "stackone_list_logs",
      tags: ["Request Logs"],
      summary: "List the project's API and proxied calls, newest first by default, with a next cursor",
      querystring: RequestLogsQuery,
      response: { 200: UnifiedLogsPaginated, ...errors },
    },
    handler: (request) => history.listRequestLogs(request.principal.projectId, request.query),
  });

  app.get("/requests/logs/:id", {
    config: { scopes: ["read"] },
    schema: {
      operationId: "stackone_get_log",
      tags: ["Request Logs"],
      summary: "Get one request log entry",
      params: LogIdParams,
      querystring: LogQuery,
      response: { 200: UnifiedLogResult, ...errors },
    },
    handler: async (request) => ({
      data: await history.getRequestLog(
        request.principal.projectId,
        request.params.id,
        request.query.include,
      ),
    }),
  });
};
