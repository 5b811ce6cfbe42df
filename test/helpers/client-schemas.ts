import { z } from "zod";

/**
 * What each StackOne client version's generated code accepts in an answer, written here from
 * stackone-api.md section 8 and the clients' published sources (TS: src/sdk/models/shared/*.ts and
 * src/funcs/proxyProxyRequest.ts of each release; PHP: src/Models/Components/*.php and
 * src/Proxy.php), independently of Portico's own table in src/http/client-contracts.ts, so a
 * change there that breaks one client fails here. Only the 4.28.0 SDK can be installed here; these
 * schemas stand in for the others, field by field as their code validates (Java: its models
 * compiled against Jackson 2.18.2, as each release pins, and fed answers of this shape).
 */
export type ClientSpec = {
  name: string;
  /** The user-agent the client sends; null for raw HTTP that sends none. */
  userAgent: string | null;
  /** number | string | either (4.33.2) | float (PHP: a number or a numeric string it casts). */
  organizationId: "number" | "string" | "either" | "float";
  /** The closed category enum of ConnectSession answers. */
  sessionCategories: readonly string[];
  /**
   * False where the client fails on any non-empty session `categories`, valid values included
   * (PHP 0.28.4: its UnionHandler rebuilds `array<ConnectSessionCategories>|null` as
   * `array<enum>`, and `\enum` is no class; absent, null and [] parse).
   */
  sessionCategoriesReadable: boolean;
  /** The meta `category` enum: open (any string) or closed to these values (PHP). */
  metaCategories: "open" | readonly string[];
  /** LinkedAccount.status: open, or PHP's closed enum. */
  accountStatus: "open" | readonly string[];
  /** Whether LinkedAccount has `shared` (boolean | null), TS 4.34.1. Other clients drop the key. */
  shared: boolean;
  /** Proxy success: the statuses taken, and whether the body must be a ProxyResponseApiModel. */
  proxy: { statuses: readonly number[]; model: boolean };
};

const BASE = ["ats", "hris", "hris-legacy", "crm", "iam", "marketing", "lms", "stackone"];
const TS_4_21_0 = [...BASE, "documents", "ticketing", "screening", "messaging"];
const TS_4_28_0 = [...TS_4_21_0, "accounting"];
const CURRENT = [...TS_4_28_0, "scheduling"];
const PHP_0_25_0 = [...BASE, "documents", "ticketing", "screening"];
const ts = (v: string, gen: string) =>
  `speakeasy-sdk/typescript ${v} ${gen} 1.0.0 @stackone/stackone-client-ts`;
const php = (v: string) => `speakeasy-sdk/php ${v} 2.767.2 1.0.0 stackone/client-sdk`;
const java = (v: string) => `speakeasy-sdk/java ${v} 2.811.4 1.0.0 com.stackone.stackone_client_java`;
const ALL_SUCCESS = [200, 201, 202, 204];

export const CLIENTS: ClientSpec[] = [
  {
    name: "raw HTTP (no user agent)",
    userAgent: null,
    organizationId: "string",
    sessionCategoriesReadable: true,
    sessionCategories: CURRENT,
    metaCategories: "open",
    accountStatus: "open",
    shared: true,
    proxy: { statuses: ALL_SUCCESS, model: true },
  },
  {
    name: "TS SDK 4.34.1",
    userAgent: ts("4.34.1", "2.836.4"),
    organizationId: "string",
    sessionCategoriesReadable: true,
    sessionCategories: CURRENT,
    metaCategories: "open",
    accountStatus: "open",
    shared: true,
    proxy: { statuses: ALL_SUCCESS, model: true },
  },
  {
    name: "TS SDK 4.33.2",
    userAgent: ts("4.33.2", "2.801.2"),
    organizationId: "either",
    sessionCategoriesReadable: true,
    sessionCategories: CURRENT,
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: ALL_SUCCESS, model: true },
  },
  {
    name: "TS SDK 4.32.2",
    userAgent: ts("4.32.2", "2.750.0"),
    organizationId: "number",
    sessionCategoriesReadable: true,
    sessionCategories: CURRENT,
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: ALL_SUCCESS, model: true },
  },
  {
    name: "TS SDK 4.32.1",
    userAgent: ts("4.32.1", "2.750.0"),
    organizationId: "number",
    sessionCategoriesReadable: true,
    sessionCategories: TS_4_28_0,
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: ALL_SUCCESS, model: true },
  },
  {
    name: "TS SDK 4.28.0",
    userAgent: ts("4.28.0", "2.721.3"),
    organizationId: "number",
    sessionCategoriesReadable: true,
    sessionCategories: TS_4_28_0,
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: ALL_SUCCESS, model: false },
  },
  {
    name: "TS SDK 4.21.0",
    userAgent: ts("4.21.0", "2.600.0"),
    organizationId: "number",
    sessionCategoriesReadable: true,
    sessionCategories: TS_4_21_0,
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: [200], model: false },
  },
  {
    name: "TS SDK 4.17.1 (documents was file-storage)",
    userAgent: ts("4.17.1", "2.460.0"),
    organizationId: "number",
    sessionCategoriesReadable: true,
    sessionCategories: [...BASE, "file-storage"],
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: [200], model: false },
  },
  {
    name: "PHP SDK 0.28.4",
    userAgent: php("0.28.4"),
    organizationId: "float",
    sessionCategoriesReadable: false,
    sessionCategories: CURRENT,
    metaCategories: CURRENT,
    accountStatus: ["active", "inactive", "suspended", "archived", "expired", "error"],
    shared: false,
    proxy: { statuses: ALL_SUCCESS, model: true },
  },
  {
    name: "PHP SDK 0.25.0",
    userAgent: php("0.25.0"),
    organizationId: "float",
    sessionCategoriesReadable: false,
    sessionCategories: PHP_0_25_0,
    metaCategories: PHP_0_25_0,
    accountStatus: ["active", "inactive", "error"],
    shared: false,
    proxy: { statuses: [200], model: false },
  },
  {
    name: "Java SDK 0.19.2",
    userAgent: java("0.19.2"),
    organizationId: "string",
    sessionCategoriesReadable: true,
    sessionCategories: CURRENT,
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: ALL_SUCCESS, model: true },
  },
  {
    // organization_id a Java double: Jackson casts a numeric string (ALLOW_COERCION_OF_SCALARS).
    name: "Java SDK 0.9.1",
    userAgent: java("0.9.1"),
    organizationId: "float",
    sessionCategoriesReadable: true,
    sessionCategories: TS_4_28_0,
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: [200], model: false },
  },
  {
    name: "Java SDK 0.4.0",
    userAgent: java("0.4.0"),
    organizationId: "float",
    sessionCategoriesReadable: true,
    sessionCategories: [...BASE, "documents", "ticketing", "screening"],
    metaCategories: "open",
    accountStatus: "open",
    shared: false,
    proxy: { statuses: [200], model: false },
  },
];

const datetime = z.iso.datetime({ offset: true });
const nullish = <T extends z.ZodType>(t: T) => t.nullable().optional();
const closedOrOpen = (values: "open" | readonly string[]) =>
  values === "open" ? z.string() : z.enum(values as [string, ...string[]]);

const organizationId = (spec: ClientSpec) =>
  ({
    number: z.number(),
    string: z.string(),
    either: z.union([z.string(), z.number().int()]),
    float: z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/)]),
  })[spec.organizationId];

export function sessionSchema(spec: ClientSpec) {
  return z.object({
    id: z.number(),
    organization_id: organizationId(spec),
    project_id: z.string(),
    origin_owner_id: z.string(),
    origin_owner_name: z.string(),
    created_at: datetime,
    categories: spec.sessionCategoriesReadable
      ? nullish(z.array(z.enum(spec.sessionCategories as [string, ...string[]])))
      : nullish(z.array(z.never()).length(0)),
    provider: nullish(z.string()),
    origin_username: nullish(z.string()),
    account_id: nullish(z.string()),
    label: nullish(z.string()),
    metadata: nullish(z.object({})),
    external_trigger_token: nullish(z.string()),
    type: nullish(z.string()),
    integration_id: nullish(z.string()),
  });
}

export const authLinkSchema = (spec: ClientSpec) =>
  sessionSchema(spec).extend({ token: z.string(), auth_link_url: z.string() });

export function linkedAccountSchema(spec: ClientSpec) {
  return z.object({
    id: z.string(),
    provider: z.string(),
    status: closedOrOpen(spec.accountStatus),
    origin_owner_id: z.string(),
    origin_owner_name: z.string(),
    created_at: datetime,
    updated_at: datetime,
    provider_name: nullish(z.string()),
    status_reasons: nullish(
      z.array(z.object({ code: nullish(z.string()), description: nullish(z.string()), timestamp: datetime })),
    ),
    origin_username: nullish(z.string()),
    credentials: nullish(z.object({})),
    setup_information: nullish(z.record(z.string(), z.any())),
    label: nullish(z.string()),
    type: nullish(z.string()),
    ...(spec.shared ? { shared: nullish(z.boolean()) } : {}),
  });
}

export const linkedAccountMetaSchema = (spec: ClientSpec) =>
  z.object({
    provider: z.string(),
    category: closedOrOpen(spec.metaCategories),
    models: z.record(z.string(), z.any()),
  });

export const connectorsMetaSchema = (spec: ClientSpec) =>
  z.object({
    provider: z.string(),
    provider_name: z.string(),
    category: closedOrOpen(spec.metaCategories),
    models: z.record(z.string(), z.any()),
    active: nullish(z.boolean()),
    resources: nullish(
      z.object({
        images: nullish(
          z.object({ logo_url: nullish(z.string()), original_logo_horizontal_url: nullish(z.string()) }),
        ),
      }),
    ),
  });

/** ProxyResponseApiModel (TS 4.32.0, PHP 0.28.1). */
export const proxyResponseSchema = z.object({
  status: z.number(),
  headers: nullish(z.record(z.string(), z.any())),
  data: nullish(
    z.union([
      z.record(z.string(), z.any()),
      z.array(z.record(z.string(), z.any())),
      z.string(),
      z.number(),
      z.boolean(),
    ]),
  ),
  provider_errors: nullish(z.array(z.object({}))),
});

export const errorSchema = z.object({ statusCode: z.number(), message: z.string(), timestamp: datetime });

/** The paths where a value fails a schema, for messages that say which field broke which client. */
export function failures(schema: z.ZodType, value: unknown): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}
