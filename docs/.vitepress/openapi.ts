import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, two folders above this file. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

export type Schema = {
  $ref?: string;
  type?: string | string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  required?: string[];
  description?: string;
  default?: unknown;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  pattern?: string;
};

export type Parameter = {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
};

export type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: Schema }> }>;
  security?: Record<string, string[]>[];
};

export type OpenApiDocument = {
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

/**
 * Portico's OpenAPI document, from `portico openapi` (the routes themselves, built without a
 * server): the reference pages are rendered from the document the running server serves, so they
 * cannot drift from it. Computed once per build, shared by the config and the pages' loader
 * (VitePress loads both in one process).
 */
export function openApiDocument(): OpenApiDocument {
  const cache = globalThis as { __porticoOpenApi?: OpenApiDocument };
  if (!cache.__porticoOpenApi) {
    const json = execFileSync(process.execPath, [path.join(ROOT, "bin", "portico.js"), "openapi"], {
      cwd: ROOT,
      // Only what the document depends on: a developer's own PORTICO_* settings stay out of it.
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        PORTICO_PUBLIC_URL: "http://localhost:4000",
        PORTICO_LOG_LEVEL: "silent",
      },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    cache.__porticoOpenApi = JSON.parse(json) as OpenApiDocument;
  }
  return cache.__porticoOpenApi;
}
