import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import { z } from "zod";

/** StackOne's error body (spec section 2.2): what every 4xx and 5xx carries. */
export const ErrorResponse = z
  .object({
    statusCode: z.number(),
    message: z.string(),
    timestamp: z.iso.datetime(),
  })
  .meta({ id: "ErrorResponse" });

/**
 * OpenAPI 3.1 generated from the same zod schemas the routes validate with, served at
 * /openapi.json, with a browsable UI at /docs.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  publicUrl: string,
  version: string,
): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Portico",
        version,
        description:
          "Self-hostable connect layer, wire-compatible with StackOne's Connect Sessions, Accounts, Connectors and Proxy APIs.",
      },
      servers: [{ url: publicUrl }],
      components: {
        securitySchemes: {
          basic: { type: "http", scheme: "basic", description: "API key as the username, empty password" },
          console: {
            type: "apiKey",
            in: "cookie",
            name: "portico_console",
            description: "The operator console's session (sign in with `portico console link`)",
          },
        },
      },
      security: [{ basic: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs", uiConfig: { url: "/openapi.json" } });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}
