import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { HealthChecks } from "../accounts/health.js";
import { AccountHealth } from "../accounts/schemas.js";
import { consoleActor } from "../history/actor.js";
import { ErrorResponse } from "../http/openapi.js";
import type { TenancyService } from "../tenancy/service.js";
import { ProjectItemParams } from "./schemas.js";

const tags = ["Console (Portico)"];
const security = [{ console: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

/** The account page's health panel: the last check, its result, the next one, and a check now. */
export const consoleHealthRoutes: FastifyPluginAsyncZod<{
  health: HealthChecks;
  tenancy: TenancyService;
}> = async (app, { health, tenancy }) => {
  app.get("/projects/:projectId/accounts/:id/health", {
    role: "viewer",
    schema: {
      tags,
      security,
      summary: "An account's last health check, its result and the next one",
      params: ProjectItemParams,
      response: { 200: AccountHealth, ...errors },
    },
    handler: async (request) => {
      const { project_id } = await tenancy.requireProject(request.params.projectId);
      return health.view(project_id, request.params.id);
    },
  });

  app.post("/projects/:projectId/accounts/:id/check", {
    role: "admin",
    schema: {
      tags,
      security,
      summary: "Check the account's credentials with its provider now",
      params: ProjectItemParams,
      response: { 200: AccountHealth, ...errors, 409: ErrorResponse },
    },
    handler: async (request) => {
      const { project_id } = await tenancy.requireProject(request.params.projectId);
      return health.check(project_id, request.params.id, consoleActor(request.consoleSession));
    },
  });
};
