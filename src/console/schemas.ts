import { z } from "zod";
import { CATEGORIES } from "../catalog/categories.js";
import { EXPIRES_IN, Metadata } from "../sessions/schemas.js";
import { DeliverySchema, EndpointSchema } from "../webhooks/schemas.js";
import { EVENT_TYPES } from "../webhooks/service.js";
import { DELIVERY_STATES } from "../webhooks/store.js";
import { ROLES } from "./roles.js";

/** The console's own API (`/console/api`): Portico's, not StackOne's; cookie-authenticated. */

const iso = z.iso.datetime();

export const Actor = z
  .object({
    type: z.enum(["session", "api_key", "operator", "scheduler", "system"]),
    id: z.string().nullable(),
    name: z.string().nullable(),
  })
  .meta({ id: "ConsoleActor" });

const Role = z
  .enum(ROLES)
  .describe("owner: everything, operators too; admin: everything else; viewer: reads only");

export const Me = z
  .object({
    email: z.string().nullable().describe("The console user's email; null for a break-glass link"),
    role: Role,
    operator: z.string().describe("The email, or the name a break-glass link was given"),
    organization_id: z.number().nullable().describe("null: a break-glass session over every organization"),
    method: z.enum(["link", "invitation", "sso"]).describe("How this session signed in"),
    session_id: z.string(),
    expires_at: iso,
    idle_expires_at: iso.describe("When the session ends if no console request comes before"),
  })
  .meta({ id: "ConsoleMe" });

export const Project = z
  .object({
    project_id: z.string(),
    organization_id: z.number(),
    name: z.string(),
    created_at: iso,
    wire_profile: z.string().describe("The StackOne contract the project's callers get; auto: by user agent"),
  })
  .meta({ id: "ConsoleProject" });

export const CreateProject = z.object({ name: z.string().trim().min(1).max(200) });

export const ProjectParams = z.object({ projectId: z.string().min(1).max(100) });
export const ProjectItemParams = ProjectParams.extend({ id: z.string().min(1).max(255) });
export const ProjectProviderParams = ProjectParams.extend({ provider: z.string().min(1).max(100) });

export const Overview = z
  .object({
    accounts: z.object({
      total: z.number(),
      by_status: z.array(z.object({ status: z.string(), count: z.number() })),
      by_provider: z.array(z.object({ provider: z.string(), name: z.string(), count: z.number() })),
    }),
    per_day: z
      .array(z.object({ date: z.string(), sessions_opened: z.number(), accounts_linked: z.number() }))
      .describe("The last 30 UTC days, oldest first"),
    webhooks: z.object({
      endpoints: z.object({ total: z.number(), active: z.number(), disabled: z.number() }),
      since: iso,
      delivered: z.number(),
      retrying: z.number(),
      waiting: z.number(),
      failed: z.number(),
      success_rate: z.number().nullable().describe("Delivered over tried, deliveries of the last 24 hours"),
      backlog: z.number().describe("Deliveries not yet delivered"),
    }),
    refresh_failures: z.object({ last_7_days: z.number(), accounts_in_error: z.number() }),
    request_log_dropped: z
      .number()
      .describe("Request-log records this node dropped: the database lagged, or refused them"),
    refused_last_24h: z
      .number()
      .describe("API calls answered 429 in the last 24 hours (counted, not written to the request log)"),
  })
  .meta({ id: "ConsoleOverview" });

const text = (max: number) => z.string().trim().max(max);

export const AccountsQuery = z.object({
  provider: text(100).optional(),
  status: text(50).optional(),
  owner: text(255).optional().describe("An exact origin owner id"),
  q: text(255)
    .optional()
    .describe(
      "Accounts whose owner id starts with this, then those whose owner name does (ASCII case-insensitive)",
    ),
  cursor: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

export const AccountView = z
  .object({
    id: z.string(),
    provider: z.string(),
    provider_name: z.string().nullable(),
    status: z.string(),
    status_reasons: z
      .array(z.object({ code: z.string().nullable(), description: z.string().nullable(), timestamp: iso }))
      .nullable(),
    origin_owner_id: z.string(),
    origin_owner_name: z.string(),
    origin_username: z.string().nullable(),
    setup_information: z.record(z.string(), z.unknown()).nullable(),
    label: z.string().nullable(),
    type: z.string(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    integration_id: z.string(),
    created_at: iso,
    updated_at: iso,
  })
  .meta({ id: "ConsoleAccount" });

export const AccountsPage = z
  .object({ data: z.array(AccountView), next: z.string().nullable() })
  .meta({ id: "ConsoleAccountsPage" });

export const AccountDetail = z
  .object({ account: AccountView, logo_url: z.string().nullable() })
  .meta({ id: "ConsoleAccountDetail" });

export const PatchAccount = z.object({
  label: z.string().max(255).nullable().optional(),
  metadata: Metadata.nullable().optional(),
});

export const CursorQuery = z.object({ next: z.string().max(2000).optional() });

export const AccountEvent = z
  .object({
    id: z.string(),
    account_id: z.string(),
    provider: z.string().nullable(),
    type: z.string(),
    actor: Actor,
    detail: z.record(z.string(), z.unknown()).nullable(),
    created_at: iso,
  })
  .meta({ id: "ConsoleAccountEvent" });

export const EventsPage = z.object({ data: z.array(AccountEvent), next: z.string().nullable() });

export const AuthLink = z
  .object({
    session_id: z.number(),
    auth_link_url: z.string().describe("Carries the session token: shown to the operator to hand on"),
    expires_at: iso,
  })
  .meta({ id: "ConsoleAuthLink" });

export const ReconnectBody = z.object({
  expires_in: z.number().int().min(EXPIRES_IN.min).max(EXPIRES_IN.max).optional(),
});

export const ConnectBody = z.object({
  origin_owner_id: text(255).min(1),
  origin_owner_name: text(255).min(1),
  origin_username: text(255).optional(),
  label: text(255).optional(),
  categories: z.array(z.enum(CATEGORIES)).max(CATEGORIES.length).optional(),
  provider: text(100).optional(),
  expires_in: z.number().int().min(EXPIRES_IN.min).max(EXPIRES_IN.max).optional(),
  multiple: z.boolean().optional(),
});

export const Integration = z
  .object({
    provider: z.string(),
    name: z.string(),
    categories: z.array(z.string()),
    scheme: z.string(),
    active: z.boolean(),
    logo_url: z.string(),
    oauth: z
      .object({
        client_id: z.string().nullable(),
        client_secret_set: z.boolean(),
        scopes: z.array(z.string()).nullable(),
        default_scopes: z.array(z.string()),
        built_in_app: z.boolean().describe("Portico's own sandbox app is used when none is set"),
      })
      .nullable()
      .describe("OAuth2 providers only; the client secret is write-only"),
    problem: z
      .string()
      .nullable()
      .describe("Why end users cannot connect this enabled provider (its OAuth app is missing or broken)"),
  })
  .meta({ id: "ConsoleIntegration" });

export const Integrations = z
  .object({ redirect_uri: z.string(), categories: z.array(z.string()), integrations: z.array(Integration) })
  .meta({ id: "ConsoleIntegrations" });

export const IntegrationUpdate = z.object({
  active: z.boolean(),
  client_id: text(500).optional(),
  client_secret: z.string().max(2000).optional().describe("Write-only: stored encrypted, never returned"),
  scopes: z.array(z.string().trim().min(1).max(200)).max(100).optional(),
});

export const WebhooksView = z
  .object({ event_types: z.array(z.string()), endpoints: z.array(EndpointSchema) })
  .meta({ id: "ConsoleWebhooks" });

export const CreateWebhook = z.object({
  url: z.string().trim().min(1).max(2048),
  description: text(500).optional(),
  events: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).optional(),
});

export const DeliveriesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  state: z.enum(DELIVERY_STATES).optional(),
});

export const ReplayBody = z
  .object({
    event_id: z.string().max(100).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    endpoint_id: z.string().max(100).optional(),
  })
  .refine((b) => b.event_id || b.since, { message: "give event_id, or since" });

export const ApiKey = z
  .object({
    id: z.string(),
    project_id: z.string(),
    prefix: z.string(),
    name: z.string().nullable(),
    created_at: iso,
    last_used_at: iso.nullable(),
    revoked_at: iso.nullable(),
    wire_profile: z.string().describe("project: the project's setting"),
    scopes: z.string().describe("full, or a comma list of read, connect, proxy"),
    expires_at: iso.nullable(),
  })
  .meta({ id: "ConsoleApiKey" });

export const CreatedApiKey = ApiKey.extend({ api_key: z.string().describe("Shown once") }).meta({
  id: "ConsoleCreatedApiKey",
});

export const CreateApiKey = z.object({
  name: text(200).optional(),
  scopes: z
    .array(z.enum(["full", "read", "connect", "proxy"]))
    .min(1)
    .max(4)
    .optional(),
  expires_in: z
    .number()
    .int()
    .min(60)
    .max(3650 * 86_400)
    .optional()
    .describe("Seconds until the key stops working"),
});

export const EventsQuery = z.object({
  type: text(50).optional(),
  account_id: text(255).optional(),
  start_date: z.iso.datetime({ offset: true }).optional(),
  end_date: z.iso.datetime({ offset: true }).optional(),
  next: z.string().max(2000).optional(),
});

export const AuditQuery = z.object({
  actor_id: text(255)
    .optional()
    .describe("An API key id, a console user id (cu_...), a console session id, or cli"),
  target_id: text(255).optional().describe("An account, key, endpoint id or a provider key"),
  start_date: z.iso.datetime({ offset: true }).optional(),
  end_date: z.iso.datetime({ offset: true }).optional(),
  next: z.string().max(2000).optional(),
});

export const RefusedQuery = z.object({
  key_id: text(255).optional().describe("One API key's counts"),
  start_date: z.iso.datetime({ offset: true }).optional().describe("Default: 24 hours ago"),
  end_date: z.iso.datetime({ offset: true }).optional(),
});

export const RefusedPage = z
  .object({
    data: z.array(
      z.object({
        key_id: z.string(),
        minute: iso.describe("The minute's start"),
        count: z.number().describe("Calls of this key answered 429 in that minute"),
      }),
    ),
  })
  .meta({ id: "ConsoleRefusedPage" });

export const AuditPage = z
  .object({
    data: z.array(
      z.object({
        id: z.string(),
        project_id: z.string().nullable(),
        actor: Actor,
        action: z.string(),
        target_type: z.string().nullable(),
        target_id: z.string().nullable(),
        detail: z.record(z.string(), z.unknown()).nullable(),
        created_at: iso,
      }),
    ),
    next: z.string().nullable(),
  })
  .meta({ id: "ConsoleAuditPage" });

// ---- operators ---------------------------------------------------------------------------------

export const OrganizationParams = z.object({ organizationId: z.coerce.number().int().min(1) });
export const OrganizationItemParams = OrganizationParams.extend({ id: z.string().min(1).max(100) });
export const ItemParams = z.object({ id: z.string().min(1).max(100) });

export const ConsoleUser = z
  .object({
    id: z.string(),
    organization_id: z.number(),
    email: z.string(),
    role: Role,
    status: z.enum(["invited", "active"]).describe("invited: has not signed in yet"),
    created_at: iso,
    created_by: z.string().nullable(),
    last_sign_in_at: iso.nullable(),
  })
  .meta({ id: "ConsoleUser" });

export const InviteUser = z.object({ email: z.string().trim().min(3).max(254), role: Role });

export const Invitation = z
  .object({
    user: ConsoleUser,
    url: z.string().describe("The one-time invitation link: shown once, to hand on"),
    expires_at: iso,
  })
  .meta({ id: "ConsoleInvitation" });

export const SetRole = z.object({ role: Role });

export const ConsoleSessionView = z
  .object({
    id: z.string(),
    operator: z.string(),
    email: z.string().nullable(),
    role: Role,
    method: z.enum(["link", "invitation", "sso"]),
    user_agent: z.string().nullable(),
    current: z.boolean().describe("The session this request comes from"),
    created_at: iso,
    last_seen_at: iso,
    expires_at: iso.describe("When it ends at the latest (idle or not)"),
  })
  .meta({ id: "ConsoleSession" });

export const Settings = z
  .object({
    public_url: z.string(),
    link_minutes: z.number(),
    invitation_hours: z.number(),
    idle_minutes: z.number(),
    max_session_hours: z.number(),
    sso: z
      .object({
        issuer: z.string(),
        client_id: z.string(),
        redirect_uri: z.string().describe("Register this with the identity provider"),
        allowed_domains: z.array(z.string()),
        default_role: Role,
      })
      .nullable()
      .describe("null: single sign-on is not configured"),
    sso_redirect_uri: z
      .string()
      .describe("<public URL>/console/sso/callback, to register when setting it up"),
  })
  .meta({ id: "ConsoleSettings" });

// ---- tools -------------------------------------------------------------------------------------

export const TryCall = z.object({
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
  path: z
    .string()
    .trim()
    .min(1)
    .max(2048)
    .refine((p) => p.startsWith("/"), { message: "must start with /" }),
  headers: z.record(z.string().max(200), z.string().max(4000)).optional(),
  body: z
    .string()
    .max(64 * 1024)
    .optional()
    .describe("Sent as it is; JSON when it parses as JSON"),
});

export const TryCallResult = z
  .object({
    status: z.number().describe("The provider's status"),
    headers: z.record(z.string(), z.unknown()).describe("The provider's response headers"),
    data: z.unknown().describe("As /unified/proxy answers it: JSON, text, or base64 for bytes"),
    duration_ms: z.number(),
  })
  .meta({ id: "ConsoleTryCallResult" });

export const DeliveryDetail = z
  .object({
    delivery: DeliverySchema,
    endpoint_url: z.string(),
    payload: z.unknown().describe("The JSON body every attempt sends"),
    headers: z
      .record(z.string(), z.string())
      .describe("The headers of the last attempt (or of the next); signatures are never shown"),
  })
  .meta({ id: "ConsoleDeliveryDetail" });

export const DeliveryParams = ProjectParams.extend({ deliveryId: z.string().min(1).max(100) });

export const TestEvent = z
  .object({ event_id: z.string(), delivery_id: z.string() })
  .meta({ id: "ConsoleTestEvent" });
