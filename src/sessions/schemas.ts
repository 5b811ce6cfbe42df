import { z } from "zod";
import { CATEGORIES, CATEGORY_ALIASES, type Category } from "../catalog/categories.js";
import type { ClientContract } from "../http/client-contracts.js";

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

/**
 * Categories as any StackOne client sends them: every value some client knows (an old one's
 * `file-storage` is `documents`), duplicates ignored rather than counted against a cap (the PHP
 * SDK's own README example repeats two). A value no client knows is a 400 naming it.
 */
const SessionCategories = z
  .array(z.enum([...CATEGORIES, ...(Object.keys(CATEGORY_ALIASES) as [string])]))
  .max(1000)
  .transform((list) => [...new Set(list.map((c) => CATEGORY_ALIASES[c] ?? (c as Category)))])
  .nullish()
  .describe(`Any of ${CATEGORIES.join(", ")}; duplicates are ignored`);

const redirectUrl = z
  .string()
  .max(2048)
  .refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), {
    message: "must be an absolute http(s) URL",
  });

/**
 * Portico's own session options, for callers that send raw HTTP: the hosted page's redirects after
 * linking (`success_url`, with `account_id` and `provider` added) and after a cancel or an error
 * (`error_url`, with `reason`). Each must be on one of the project's allowed origins; the
 * project's own settings apply where a session names none.
 */
export const PorticoSessionOptions = z
  .object({ success_url: redirectUrl.nullish(), error_url: redirectUrl.nullish() })
  .meta({ id: "PorticoSessionOptions" });

export const ConnectSessionCreate = z
  .object({
    origin_owner_id: text(255).describe("Your customer's id: accounts are grouped and re-connected by it"),
    origin_owner_name: text(255).describe("Your customer's display name"),
    origin_username: optionalText(255),
    categories: SessionCategories,
    provider: optionalText(100).describe("Open the hub directly at this provider"),
    provider_version: z.string().nullish().describe("Deprecated; accepted and ignored"),
    account_id: optionalText(255).describe("Edit mode: the session may only update this account"),
    expires_in: z.number().int().min(EXPIRES_IN.min).max(EXPIRES_IN.max).nullish(),
    metadata: Metadata.nullish(),
    multiple: z.boolean().nullish(),
    label: optionalText(255),
    type: SessionType.nullish(),
    integration_id: optionalText(255),
    portico: PorticoSessionOptions.nullish().describe(
      "Portico's extension (StackOne clients never send it): where the hosted page sends the end user",
    ),
  })
  .meta({ id: "ConnectSessionCreate" });

export type ConnectSessionCreate = z.infer<typeof ConnectSessionCreate>;

export const ConnectSessionAuthenticate = z
  .object({ token: z.string().min(1).max(512) })
  .meta({ id: "ConnectSessionAuthenticate" });

/**
 * The newest StackOne contract. Older clients get the same answer shaped by `forClient` below:
 * a numeric `organization_id`, and only the categories their closed enum knows.
 */
export const ConnectSession = z
  .object({
    id: z.number(),
    organization_id: z
      .string()
      .describe("A numeric string; a number for the StackOne clients that expect one (wire profiles)"),
    project_id: z.string(),
    origin_owner_id: z.string(),
    origin_owner_name: z.string(),
    origin_username: z.string().nullable(),
    categories: z
      .array(z.enum(CATEGORIES))
      .nullable()
      .describe("Each client version gets the categories its schema knows (wire profiles)"),
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

/** A session as the service builds it; `forClient` turns it into one client's wire shape. */
export type ConnectSession = Omit<z.infer<typeof ConnectSession>, "organization_id" | "categories"> & {
  organization_id: number | string;
  categories: string[] | null;
};

export const ConnectSessionTokenAuthLink = ConnectSession.extend({
  token: z.string(),
  auth_link_url: z.string(),
}).meta({ id: "ConnectSessionTokenAuthLink" });

export type ConnectSessionTokenAuthLink = ConnectSession & { token: string; auth_link_url: string };

/**
 * One session answer in the caller's contract, in place (the object is the request's own):
 * `organization_id` as the client's schema types it, and categories as its closed enum knows them
 * (an unknown one would fail the whole answer, so it is left out), or none at all for a client that
 * cannot read them.
 * @see ../../../shared/spec/stackone-api.md section 8, rows 1 and 3
 */
export function forClient<T extends ConnectSession>(session: T, contract: ClientContract): T {
  session.organization_id =
    contract.organizationId === "string" ? String(session.organization_id) : Number(session.organization_id);
  if (!contract.sessionCategories) delete (session as Partial<ConnectSession>).categories;
  else if (session.categories)
    session.categories = session.categories.flatMap((c) => contract.categories.get(c as Category) ?? []);
  return session;
}
