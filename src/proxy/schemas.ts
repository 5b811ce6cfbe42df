import { z } from "zod";

/** @see ../../../shared/spec/stackone-api.md section 2.4, ProxyRequestBody */
export const ProxyRequestBody = z
  .object({
    url: z
      .string()
      .max(4096)
      .nullish()
      .describe("Base URL on the provider's own host; defaults to the provider's API base URL"),
    path: z.string().max(8192).nullish().describe("Path below the base URL, with an optional query string"),
    method: z
      .string()
      .max(10)
      .nullish()
      .transform((m) => (m ?? "get").toUpperCase())
      .pipe(z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])),
    headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).nullish(),
    body: z.unknown().optional(),
  })
  .meta({ id: "ProxyRequestBody" });
export type ProxyRequestBody = z.infer<typeof ProxyRequestBody>;

export const ProxyHeaders = z.object({ "x-account-id": z.string().min(1, "is required").max(255) });
export type ProxyHeaders = z.infer<typeof ProxyHeaders>;

/**
 * StackOne's answer to a proxied call the provider did not refuse (TS SDK 4.32+, PHP SDK 0.28.1+
 * parse it; older clients ignore the body).
 * @see ../../../shared/spec/stackone-api.md section 8, row 2
 */
export const ProxyResponseApiModel = z
  .object({
    status: z.number().describe("The provider's HTTP status"),
    headers: z.record(z.string(), z.unknown()).describe("The provider's response headers"),
    data: z
      .unknown()
      .describe(
        "The provider's JSON (an object, an array of objects or a scalar), else its text; null when empty; base64 when its content type is not text",
      ),
  })
  .meta({ id: "ProxyResponseApiModel" });
export type ProxyResponseApiModel = z.infer<typeof ProxyResponseApiModel>;
