import { z } from "zod";
import { CATEGORIES } from "../catalog/categories.js";

/** @see ../../../shared/spec/stackone-api.md section 2.1, ConnectSessionCreate */
export const METADATA_MAX_BYTES = 16 * 1024;
export const EXPIRES_IN = { default: 1800, min: 60, max: 2_592_000 } as const;

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s.trim().length > 0, { message: "must not be blank" });
const optionalText = (max: number) => z.string().max(max).nullish();

export const Metadata = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m)) <= METADATA_MAX_BYTES, {
    message: `must be at most ${METADATA_MAX_BYTES} bytes of JSON`,
  });

export const SessionType = z.enum(["production", "test"]);

export const ConnectSessionCreate = z
  .object({
    origin_owner_id: text(255).describe("Your customer's id: accounts are grouped and re-connected by it"),
    origin_owner_name: text(255).describe("Your customer's display name"),
    origin_username: optionalText(255),
    categories: z.array(z.enum(CATEGORIES)).max(CATEGORIES.length).nullish(),
    provider: optionalText(100).describe("Open the hub directly at this provider"),
    provider_version: z.string().nullish().describe("Deprecated; accepted and ignored"),
    account_id: optionalText(255).describe("Edit mode: the session may only update this account"),
    expires_in: z.number().int().min(EXPIRES_IN.min).max(EXPIRES_IN.max).nullish(),
    metadata: Metadata.nullish(),
    multiple: z.boolean().nullish(),
    label: optionalText(255),
    type: SessionType.nullish(),
    integration_id: optionalText(255),
  })
  .meta({ id: "ConnectSessionCreate" });

export type ConnectSessionCreate = z.infer<typeof ConnectSessionCreate>;

export const ConnectSessionAuthenticate = z
  .object({ token: z.string().min(1).max(512) })
  .meta({ id: "ConnectSessionAuthenticate" });

export const ConnectSession = z
  .object({
    id: z.number(),
    organization_id: z.number(),
    project_id: z.string(),
    origin_owner_id: z.string(),
    origin_owner_name: z.string(),
    origin_username: z.string().nullable(),
    categories: z.array(z.enum(CATEGORIES)).nullable(),
    provider: z.string().nullable(),
    account_id: z.string().nullable(),
    label: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    external_trigger_token: z.string(),
    type: SessionType,
    multiple: z.boolean(),
    integration_id: z.string().nullable(),
    expires_in: z.number(),
    expires_at: z.iso.datetime(),
    created_at: z.iso.datetime(),
  })
  .meta({ id: "ConnectSession" });

export type ConnectSession = z.infer<typeof ConnectSession>;

export const ConnectSessionTokenAuthLink = ConnectSession.extend({
  token: z.string(),
  auth_link_url: z.string(),
}).meta({ id: "ConnectSessionTokenAuthLink" });

export type ConnectSessionTokenAuthLink = z.infer<typeof ConnectSessionTokenAuthLink>;
