import type { ColumnType, Generated } from "kysely";

/**
 * Table types shared by both dialects. Timestamps are epoch milliseconds (bigint), booleans 0/1,
 * JSON documents text (see json.ts): one representation, so every query is the same on SQLite
 * and PostgreSQL and every value leaves the database already in UTC.
 */
export interface MetaTable {
  key: string;
  value: string;
}

export interface OrganizationsTable {
  id: Generated<number>;
  name: string;
  created_at: number;
}

export interface ProjectsTable {
  id: string;
  organization_id: number;
  name: string;
  created_at: number;
  /** A pinned wire profile (http/wire-profile.ts), or null to detect it per request. */
  wire_profile: string | null;
  /** API calls per minute per key for this project; null follows PORTICO_RATE_LIMIT_PER_MINUTE, 0 is off. */
  rate_limit_per_minute: ColumnType<number | null, number | null | undefined, number | null>;
  /** Branding of the hosted page (tenancy/branding.ts); null: Portico's defaults. */
  display_name: string | null;
  accent_color: string | null;
  support_url: string | null;
  /** Where the hosted page sends the end user after linking, or after cancelling or failing. */
  success_url: string | null;
  error_url: string | null;
  /** JSON array of origins the redirect URLs may point at. */
  allowed_origins: string | null;
}

/** A project's uploaded logo, sanitised, base64 (text on both dialects). */
export interface ProjectLogosTable {
  project_id: string;
  content_type: string;
  data: string;
  sha256: string;
  updated_at: number;
}

export interface ApiKeysTable {
  id: string;
  project_id: string;
  key_hash: string;
  prefix: string;
  name: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** Overrides the project's wire profile for this key's callers; null: the project's. */
  wire_profile: string | null;
  /** Comma list of scopes (tenancy/scopes.ts); null is full access. */
  scopes: string | null;
  /** When the key stops working; null: never. */
  expires_at: number | null;
}

export interface ConnectSessionsTable {
  id: Generated<number>;
  organization_id: number;
  project_id: string;
  token_hash: string;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username: string | null;
  categories: string | null;
  provider: string | null;
  account_id: string | null;
  label: string | null;
  metadata: string | null;
  type: string;
  multiple: number;
  integration_id: string | null;
  external_trigger_token: string;
  /** The account this session linked, so later submissions from it can only edit that account. */
  linked_account_id: string | null;
  /** Portico's extension: where the hosted page goes after linking, or after a cancel or error. */
  success_url: string | null;
  error_url: string | null;
  expires_in: number;
  expires_at: number;
  created_at: number;
}

export interface AccountsTable {
  id: string;
  project_id: string;
  provider: string;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username: string | null;
  label: string | null;
  metadata: string | null;
  type: string;
  status: string;
  status_reasons: string | null;
  /** Envelope ciphertext (crypto/envelope.ts) of the credential JSON; never plaintext. */
  credentials: string | null;
  setup_information: string | null;
  /** LinkedAccount.shared of the newer clients: 1, 0, or null when never set. */
  shared: number | null;
  created_at: number;
  updated_at: number;
  /** Bumped on every credential write: a refresh commits only over the version it read. */
  credentials_version: Generated<number>;
  /** OAuth: when the access token expires, and when the scheduler should refresh it. */
  token_expires_at: number | null;
  next_refresh_at: number | null;
  refresh_failures: Generated<number>;
  /** Lease that makes one process (and one request in it) the only refresher of a token. */
  refresh_lease_until: number | null;
  refresh_lease_owner: string | null;
  last_refreshed_at: number | null;
  /** Connection health (accounts/health.ts): last check, its result and detail, the next one. */
  health_checked_at: number | null;
  health_result: string | null;
  health_detail: string | null;
  health_next_at: number | null;
}

/** Checks under way: one row per account being checked, counted per provider to bound them. */
export interface HealthCheckLeasesTable {
  account_id: string;
  provider: string;
  owner: string;
  until: number;
}

export interface IntegrationsTable {
  project_id: string;
  provider: string;
  active: number;
  client_id: string | null;
  /** Envelope ciphertext of the OAuth client secret. */
  client_secret: string | null;
  /** JSON array overriding the catalog's default scopes. */
  scopes: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConnectionAttemptsTable {
  id: string;
  project_id: string;
  session_id: number;
  integration: string | null;
  /** pending | authenticated | error | cancelled | expired (hub-api.md section 3) */
  status: string;
  /** SHA-256 of the single-use OAuth state; cleared when the callback consumes it. */
  state_hash: string | null;
  /** Envelope ciphertext of the PKCE code verifier. */
  pkce_verifier: string | null;
  /** JSON of the non-secret setup values the popup carried (e.g. a subdomain). */
  setup: string | null;
  redirect_uri: string | null;
  account_id: string | null;
  error_code: string | null;
  error_description: string | null;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

export interface WebhookEndpointsTable {
  id: string;
  project_id: string;
  url: string;
  description: string | null;
  /** JSON array of event types; null means every event. */
  events: string | null;
  /** Envelope ciphertexts of the signing secret, and of the one it replaced while it overlaps. */
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
  /** active | disabled */
  status: string;
  disabled_reason: string | null;
  /** Since when every attempt failed (null while healthy): decides when to disable. */
  failing_since: number | null;
  consecutive_failures: Generated<number>;
  /** Circuit breaker: no attempt to this endpoint before this time. */
  retry_after: number | null;
  created_at: number;
  updated_at: number;
}

export interface WebhookEventsTable {
  id: string;
  project_id: string;
  type: string;
  /** The exact JSON body every delivery sends, so signatures and retries agree byte for byte. */
  payload: string;
  created_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  project_id: string;
  /** pending | delivered | failed (gave up) */
  status: string;
  attempts: Generated<number>;
  next_attempt_at: number;
  /** Lease of the worker sending it; an expired lease (a crashed worker) makes it due again. */
  lease_until: number | null;
  lease_owner: string | null;
  last_status: number | null;
  last_error: string | null;
  delivered_at: number | null;
  created_at: number;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  worker: string;
}

/** What happened to an account, in the transaction that made it happen (history slice). */
export interface AccountEventsTable {
  id: string;
  project_id: string;
  account_id: string;
  provider: string | null;
  /** linked, reconnected, updated, credentials_replaced, token_refreshed, refresh_failed, error, recovered, deleted */
  type: string;
  /** session | api_key | operator | scheduler | system */
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  /** JSON of non-secret details: changed field names, a provider's refusal reason. */
  detail: string | null;
  created_at: number;
}

// The request log (history/request-log-store.ts) is queried with raw SQL over tables named by day
// (and, on SQLite, in a file of its own): it has no place in this typed schema.

/** Operator and API-key actions that change configuration. */
export interface AuditLogTable {
  id: string;
  project_id: string | null;
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: string | null;
  created_at: number;
  /** The organization of an entry that concerns none of its projects alone (a console user). */
  organization_id: ColumnType<number | null, number | null | undefined, number | null>;
}

/** Counters per project and UTC day (days since the epoch), e.g. connect sessions opened. */
export interface HistoryDailyTable {
  project_id: string;
  metric: string;
  day: number;
  count: number;
}

/** Requests answered 429, counted per project, API key and minute (epoch ms of its start). */
export interface RefusedRequestsTable {
  project_id: string;
  key_id: string;
  minute: number;
  count: number;
}

/** One-time console sign-in links (`portico console link`); only the token's SHA-256 is stored. */
export interface ConsoleLinksTable {
  id: string;
  token_hash: string;
  operator: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** An invitation: the console user it signs in. Null: a break-glass link (owner). */
  user_id: string | null;
  /** A break-glass link's organization; null covers every organization. */
  organization_id: number | null;
}

/** Console operators, by email, per organization. Removed ones stay, so single sign-on cannot re-add them. */
export interface ConsoleUsersTable {
  id: string;
  organization_id: number;
  /** Lower case. */
  email: string;
  role: string;
  /** invited (never signed in), active, or removed. */
  status: string;
  created_at: number;
  /** Who invited them (an email, a shell user), or "single sign-on". */
  created_by: string | null;
  updated_at: number;
  last_sign_in_at: number | null;
}

/** Signed-in console browsers; the cookie's SHA-256 only. */
export interface ConsoleSessionsTable {
  id: string;
  token_hash: string;
  operator: string;
  created_at: number;
  last_seen_at: number;
  /** Absolute end; the idle end is last_seen_at plus the configured idle time. */
  expires_at: number;
  /** The console user; null for a break-glass session (`portico console link`). */
  user_id: string | null;
  /** Null: every organization (a break-glass session without one). */
  organization_id: number | null;
  /** A break-glass session's role (owner); a user's session follows the user's current role. */
  role: string;
  /** How it signed in: link, invitation or sso. */
  method: string;
  user_agent: string | null;
}

/** Requests counted per limited bucket (an API key, a client address) and minute, by every node. */
export interface RateLimitCountersTable {
  bucket: string;
  /** Epoch ms at which the minute starts. */
  window_start: number;
  count: number;
}

export interface DB {
  meta: MetaTable;
  organizations: OrganizationsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  connect_sessions: ConnectSessionsTable;
  accounts: AccountsTable;
  integrations: IntegrationsTable;
  connection_attempts: ConnectionAttemptsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_events: WebhookEventsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  account_events: AccountEventsTable;
  audit_log: AuditLogTable;
  history_daily: HistoryDailyTable;
  refused_requests: RefusedRequestsTable;
  console_links: ConsoleLinksTable;
  console_sessions: ConsoleSessionsTable;
  console_users: ConsoleUsersTable;
  rate_limit_counters: RateLimitCountersTable;
  health_check_leases: HealthCheckLeasesTable;
  project_logos: ProjectLogosTable;
}
