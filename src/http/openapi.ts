import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";
import { API_INTRODUCTION, API_TAGS, OPERATION_GUIDES, RESPONSE_TEXT } from "./openapi-guide.js";

/** StackOne's error body (spec section 2.2): what every 4xx and 5xx carries. */
export const ErrorResponse = z
  .object({
    statusCode: z.number(),
    message: z.string(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: "ErrorResponse" });

type RouteTransform = Parameters<typeof jsonSchemaTransform>[0];
type Operation = {
  description?: string;
  responses?: Record<string, { description?: string }>;
};

/**
 * The zod transform, plus the guide's words: an operation's description from OPERATION_GUIDES
 * (before the route's own, which says something narrower), and the sandbox's routes left out (they are demo providers reached
 * through the proxy, not Portico's API).
 */
function transform(route: RouteTransform) {
  if (route.url.startsWith("/sandbox")) return { schema: { hide: true }, url: route.url };
  const out = jsonSchemaTransform(route);
  const schema = (out.schema ?? {}) as Record<string, unknown>;
  const guide = OPERATION_GUIDES[schema.operationId as string];
  if (guide) schema.description = schema.description ? `${guide}\n\n${schema.description}` : guide;
  return out;
}

/** Response descriptions that say what the status means, instead of "Default Response". */
function transformObject(document: Parameters<typeof jsonSchemaTransformObject>[0]) {
  const doc = jsonSchemaTransformObject(document) as { paths?: Record<string, Record<string, Operation>> };
  for (const operations of Object.values(doc.paths ?? {}))
    for (const operation of Object.values(operations))
      for (const [status, response] of Object.entries(operation.responses ?? {}))
        if (response.description === "Default Response" && RESPONSE_TEXT[status])
          response.description = RESPONSE_TEXT[status];
  return doc as ReturnType<typeof jsonSchemaTransformObject>;
}

/** The OpenAPI object (info, servers, tags, security) the routes' schemas are added to. */
export const openApiObject = (publicUrl: string, version: string) => ({
  openapi: "3.1.0",
  info: { title: "Portico API", version, description: API_INTRODUCTION },
  servers: [{ url: publicUrl }],
  tags: API_TAGS,
  components: {
    securitySchemes: {
      basic: {
        type: "http" as const,
        scheme: "basic",
        description: "Your API key as the username, an empty password",
      },
      console: {
        type: "apiKey" as const,
        in: "cookie" as const,
        name: "portico_console",
        description: "The operator console's session (sign in with `portico console link`)",
      },
    },
  },
  security: [{ basic: [] }],
});

/**
 * OpenAPI 3.1 generated from the same zod schemas the routes validate with, served at
 * /openapi.json, with a browsable reference at /docs that opens on the guide's introduction and
 * the resources in reading order, each listed (not expanded).
 */
export async function registerOpenApi(
  app: FastifyInstance,
  publicUrl: string,
  version: string,
): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: openApiObject(publicUrl, version),
    transform,
    transformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: "/docs",
    uiConfig: {
      url: "/openapi.json",
      // No top bar (a spec URL box under Fastify's logo): the page opens on the introduction.
      layout: "BaseLayout",
      docExpansion: "list",
      deepLinking: true,
      defaultModelsExpandDepth: 0,
      displayRequestDuration: true,
    },
    theme: { title: "Portico API reference" },
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
