import { z } from "zod";
import { commaList } from "../http/comma-list.js";
import { Metadata, SessionType } from "../sessions/schemas.js";

/** @see ../../../shared/spec/stackone-api.md section 2.2, LinkedAccount */
export const StatusReason = z
  .object({ code: z.string().nullable(), description: z.string().nullable(), timestamp: z.iso.datetime() })
  .meta({ id: "StatusReason" });
export type StatusReason = z.infer<typeof StatusReason>;

export const LinkedAccount = z
  .object({
    id: z.string(),
    provider: z.string(),
    provider_name: z.string().nullable(),
    status: z.string().describe("active, inactive or error (an open enum: clients accept any string)"),
    status_reasons: z.array(StatusReason).nullable(),
    origin_owner_id: z.string(),
    origin_owner_name: z.string(),
    origin_username: z.string().nullable(),
    setup_information: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe("Non-secret setup values; credentials are never returned"),
    label: z.string().nullable(),
    type: SessionType,
    metadata: z.record(z.string(), z.unknown()).nullable(),
    shared: z.boolean().nullable().describe("As set by PATCH; null when never set"),
    integration_id: z.string().describe("The integration the account links through: its provider key"),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: "LinkedAccount" });
export type LinkedAccount = z.infer<typeof LinkedAccount>;

export const LinkedAccountMeta = z
  .object({ provider: z.string(), category: z.string(), models: z.record(z.string(), z.unknown()) })
  .meta({ id: "LinkedAccountMeta" });
export type LinkedAccountMeta = z.infer<typeof LinkedAccountMeta>;

export const PAGE_SIZE = { default: 25, max: 1000 } as const;

const list = commaList(1000);

const positiveInt = (max: number) =>
  z.preprocess((v) => (v === "" ? undefined : v), z.coerce.number().int().min(1).max(max).optional());

export const ListAccountsQuery = z.object({
  page: positiveInt(1_000_000).describe("1-based page number"),
  page_size: positiveInt(PAGE_SIZE.max).describe(`Default ${PAGE_SIZE.default}, at most ${PAGE_SIZE.max}`),
  provider: z.string().max(255).optional().describe("Deprecated: use providers"),
  providers: list,
  origin_owner_id: z.string().max(255).optional(),
  origin_owner_ids: list,
  account_ids: list,
  status: list,
});
export type ListAccountsQuery = z.infer<typeof ListAccountsQuery>;

export const AccountIdParams = z.object({ id: z.string().min(1).max(255) });

const stringMap = z.record(z.string(), z.unknown());

/**
 * PatchAccountExternalDto. The SDK sends free-form objects as `{}` and always `type:"production"`,
 * so `{}` means "no change" and `production` never downgrades a test account (spec 2.1).
 */
export const PatchAccount = z
  .object({
    provider: z.string().max(255).nullish(),
    origin_owner_id: z.string().min(1).max(255).nullish(),
    origin_owner_name: z.string().min(1).max(255).nullish(),
    origin_username: z.string().max(255).nullish(),
    authentication_config_key: z.string().nullish(),
    environment: z.string().nullish(),
    integration_id: z.string().max(255).nullish().describe("The account's integration: its provider key"),
    shared: z.boolean().nullish(),
    credentials: stringMap.nullish(),
    setup_information: stringMap.nullish(),
    secrets: stringMap.nullish(),
    metadata: Metadata.nullish(),
    label: z.union([z.string().max(255), z.record(z.string(), z.unknown())]).nullish(),
    type: SessionType.nullish(),
  })
  .meta({ id: "PatchAccountExternalDto" });
export type PatchAccount = z.infer<typeof PatchAccount>;

/** Portico's own view of an account's connection health: never part of the LinkedAccount. */
export const AccountHealth = z
  .object({
    account_id: z.string(),
    status: z.string().describe("The account's status after the check: active, error..."),
    checkable: z.boolean().describe("False when the provider's catalog entry has no verification request"),
    last_checked_at: z.iso.datetime().nullable(),
    result: z
      .string()
      .nullable()
      .describe(
        "ok, rejected (the provider refused the credentials), inconclusive, refresh_failed, unsupported",
      ),
    detail: z.string().nullable().describe("What the provider answered, e.g. HTTP 401"),
    next_check_at: z.iso.datetime().nullable(),
  })
  .meta({ id: "PorticoAccountHealth" });
