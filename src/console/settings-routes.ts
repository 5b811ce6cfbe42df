import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PorticoError } from "../errors.js";
import { consoleActor } from "../history/actor.js";
import { ErrorResponse } from "../http/openapi.js";
import { PROJECT_LOGO_MAX_BYTES } from "../tenancy/logo-sanitizer.js";
import type { ProjectSettings } from "../tenancy/project-settings.js";
import type { ConsoleSession } from "./auth.js";
import { ProjectParams } from "./schemas.js";

const tags = ["Console (Portico)"];
const security = [{ console: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

export const ProjectSettingsSchema = z
  .object({
    project_id: z.string(),
    name: z.string(),
    display_name: z.string().nullable(),
    accent_color: z.string().nullable(),
    support_url: z.string().nullable(),
    logo_url: z.string().nullable(),
    success_url: z.string().nullable(),
    error_url: z.string().nullable(),
    allowed_origins: z.array(z.string()),
  })
  .meta({ id: "ConsoleProjectSettings" });

const SettingsBody = z.object({
  display_name: z.string().max(100).nullable().optional(),
  accent_color: z.string().max(7).nullable().optional(),
  support_url: z.string().max(2048).nullable().optional(),
  success_url: z.string().max(2048).nullable().optional(),
  error_url: z.string().max(2048).nullable().optional(),
  allowed_origins: z.array(z.string().max(2048)).max(50).nullable().optional(),
});

const LogoBody = z.object({
  content_base64: z
    .string()
    .max(Math.ceil((PROJECT_LOGO_MAX_BYTES * 4) / 3) + 4)
    .describe("An SVG or PNG"),
});

/** The project's hosted-page settings: its brand and where the hosted page sends the end user. */
export const consoleSettingsRoutes: FastifyPluginAsyncZod<{ settings: ProjectSettings }> = async (
  app,
  { settings },
) => {
  const actor = (r: { consoleSession: ConsoleSession }) => consoleActor(r.consoleSession);

  app.get("/projects/:projectId/settings", {
    role: "viewer",
    schema: {
      tags,
      security,
      summary: "The hosted page's brand and redirects",
      params: ProjectParams,
      response: { 200: ProjectSettingsSchema, ...errors },
    },
    handler: (request) => settings.get(request.params.projectId),
  });

  app.patch("/projects/:projectId/settings", {
    role: "admin",
    schema: {
      tags,
      security,
      summary: "Change the brand or the redirects (null clears a setting)",
      params: ProjectParams,
      body: SettingsBody,
      response: { 200: ProjectSettingsSchema, ...errors },
    },
    handler: (request) => settings.update(request.params.projectId, request.body, actor(request)),
  });

  app.put("/projects/:projectId/settings/logo", {
    role: "admin",
    // A 64 KiB logo in base64 is larger than a small PORTICO_BODY_LIMIT_BYTES allows.
    bodyLimit: 128 * 1024,
    schema: {
      tags,
      security,
      summary: "Upload the logo (SVG or PNG, at most 64 KiB; sanitised)",
      params: ProjectParams,
      body: LogoBody,
      response: { 200: ProjectSettingsSchema, ...errors },
    },
    handler: (request) => {
      const bytes = Buffer.from(request.body.content_base64, "base64");
      if (!bytes.length) throw new PorticoError("VALIDATION", "content_base64: is empty or not base64");
      return settings.setLogo(request.params.projectId, bytes, actor(request));
    },
  });

  app.delete("/projects/:projectId/settings/logo", {
    role: "admin",
    schema: {
      tags,
      security,
      summary: "Remove the logo",
      params: ProjectParams,
      response: { 200: ProjectSettingsSchema, ...errors },
    },
    handler: (request) => settings.setLogo(request.params.projectId, null, actor(request)),
  });
};
