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
        description: [
          "Self-hostable connect layer, wire-compatible with StackOne's Connect Sessions, Accounts, Connectors and Proxy APIs.",
          "",
          "This document describes StackOne's newest contract (TS SDK 4.34, PHP SDK 0.28). StackOne's clients disagree across versions, so every answer follows a **wire profile**: the one of the client that calls, read from its `user-agent` (`speakeasy-sdk/typescript <version> ... @stackone/stackone-client-ts`, `speakeasy-sdk/php <version> ... stackone/client-sdk`, `speakeasy-sdk/java <version> ... com.stackone.stackone_client_java`), unless the caller's API key or project pins one (`portico api-keys update <id> --wire-profile ...`, `portico projects update <id> --wire-profile ...`: `auto`, `latest`, `typescript@<version>`, `php@<version>` or `java@<version>`). Any other caller gets this document's contract.",
          "",
          "Where profiles differ: `organization_id` of a ConnectSession is a numeric string here and a number for TS SDKs before 4.34.0; session `categories` hold only the values the client's closed enum knows (TS before 4.32.2 and PHP before 0.28.3 lack `scheduling`; TS 4.17.0-4.17.2 and PHP 0.22.x call `documents` `file-storage`); PHP's meta `category` is closed too, so a provider none of whose categories a PHP version knows is left out of its connectors list; a proxied 2xx keeps the provider's status only where the client takes it as success (200 otherwise). Everything else (open enums, extra fields, errors) is the same for every client.",
          "",
          "Portico's own operations (tag `Portico`) are under `/portico/v1`.",
        ].join("\n"),
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
