import { z } from "zod";

/** @see ../../../shared/spec/stackone-api.md section 2.2, ConnectorsMeta */
export const ConnectorsMeta = z
  .object({
    provider: z.string(),
    provider_name: z.string(),
    category: z.string(),
    categories: z.array(z.string()),
    active: z.boolean(),
    models: z.record(z.string(), z.unknown()),
    resources: z.object({
      images: z.object({
        logo_url: z.string().nullable(),
        original_logo_horizontal_url: z.string().nullable(),
      }),
    }),
    auth_scheme: z.enum(["api_key", "basic", "oauth2"]),
    docs_url: z.string(),
  })
  .meta({ id: "ConnectorsMeta" });
export type ConnectorsMeta = z.infer<typeof ConnectorsMeta>;

export const ConnectorsMetaQuery = z.object({
  include: z.string().max(500).optional().describe("Comma-separated; accepted for compatibility"),
});

export const ProviderParams = z.object({ provider: z.string().min(1).max(100) });
