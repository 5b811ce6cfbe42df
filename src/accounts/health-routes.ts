import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { apiKeyActor } from "../history/actor.js";
import { ErrorResponse } from "../http/openapi.js";
import type { HealthChecks } from "./health.js";
import { AccountHealth, AccountIdParams } from "./schemas.js";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

/** Portico's own account health routes (under /portico/v1): the last check, and a check now. */
export const accountHealthRoutes: FastifyPluginAsyncZod<{ health: HealthChecks }> = async (
  app,
  { health },
) => {
  app.get("/accounts/:id/health", {
    config: { scopes: ["read", "proxy"] },
    schema: {
      operationId: "portico_get_account_health",
      tags: ["Accounts"],
      summary: "An account's last health check, its result and the next one",
      params: AccountIdParams,
      response: { 200: AccountHealth, ...errors },
    },
    handler: (request) => health.view(request.principal.projectId, request.params.id),
  });

  app.post("/accounts/:id/check", {
    config: { scopes: [] },
    schema: {
      operationId: "portico_check_account",
      tags: ["Accounts"],
      summary:
        "Check the account's credentials with its provider now; a refusal (confirmed) puts it in error, a success brings it back",
      params: AccountIdParams,
      response: { 200: AccountHealth, ...errors, 409: ErrorResponse },
    },
    handler: (request) =>
      health.check(request.principal.projectId, request.params.id, apiKeyActor(request.principal)),
  });
};
