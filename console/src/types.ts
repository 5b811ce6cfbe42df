/** The console API's answers (see /openapi.json, tag "Console (Portico)"). */
export type Actor = { type: string; id: string | null; name: string | null };
export type Role = "viewer" | "admin" | "owner";
export type Me = {
  email: string | null;
  role: Role;
  operator: string;
  organization_id: number | null;
  method: "link" | "invitation" | "sso";
  session_id: string;
  expires_at: string;
  idle_expires_at: string;
};
export type Project = { project_id: string; organization_id: number; name: string; created_at: string };
export type ConsoleUser = {
  id: string;
  organization_id: number;
  email: string;
  role: Role;
  status: "invited" | "active";
  created_at: string;
  created_by: string | null;
  last_sign_in_at: string | null;
};
export type ConsoleSession = {
  id: string;
  operator: string;
  email: string | null;
  role: Role;
  method: "link" | "invitation" | "sso";
  user_agent: string | null;
  current: boolean;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
};
export type Settings = {
  public_url: string;
  link_minutes: number;
  invitation_hours: number;
  idle_minutes: number;
  max_session_hours: number;
  sso: {
    issuer: string;
    client_id: string;
    redirect_uri: string;
    allowed_domains: string[];
    default_role: Role;
  } | null;
  sso_redirect_uri: string;
};
export type DeliveryDetail = {
  delivery: Delivery;
  endpoint_url: string;
  payload: unknown;
  headers: Record<string, string>;
};
export type TryCallResult = {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
  duration_ms: number;
};
export type Account = {
  id: string;
  provider: string;
  provider_name: string | null;
  status: string;
  status_reasons: { code: string | null; description: string | null; timestamp: string }[] | null;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username: string | null;
  setup_information: Record<string, unknown> | null;
  label: string | null;
  type: string;
  metadata: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
};
export type AccountHealth = {
  account_id: string;
  status: string;
  checkable: boolean;
  last_checked_at: string | null;
  result: string | null;
  detail: string | null;
  next_check_at: string | null;
};
export type ProjectSettings = {
  project_id: string;
  name: string;
  display_name: string | null;
  accent_color: string | null;
  support_url: string | null;
  logo_url: string | null;
  success_url: string | null;
  error_url: string | null;
  allowed_origins: string[];
};
export type Page<T> = { data: T[]; next: string | null };
export type AccountEvent = {
  id: string;
  type: string;
  actor: Actor;
  detail: Record<string, unknown> | null;
  created_at: string;
};
export type AuthLink = { session_id: number; auth_link_url: string; expires_at: string };
export type Overview = {
  accounts: {
    total: number;
    by_status: { status: string; count: number }[];
    by_provider: { provider: string; name: string; count: number }[];
  };
  per_day: { date: string; sessions_opened: number; accounts_linked: number }[];
  webhooks: {
    endpoints: { total: number; active: number; disabled: number };
    delivered: number;
    retrying: number;
    waiting: number;
    failed: number;
    success_rate: number | null;
    backlog: number;
  };
  refresh_failures: { last_7_days: number; accounts_in_error: number };
  request_log_dropped: number;
  refused_last_24h: number;
};
export type Integration = {
  provider: string;
  name: string;
  categories: string[];
  scheme: string;
  active: boolean;
  logo_url: string;
  oauth: {
    client_id: string | null;
    client_secret_set: boolean;
    scopes: string[] | null;
    default_scopes: string[];
    built_in_app: boolean;
  } | null;
  /** Why end users cannot connect it although it is enabled (operators only). */
  problem: string | null;
};
export type Endpoint = {
  id: string;
  url: string;
  description: string | null;
  events: string[] | null;
  status: string;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
};
export type Delivery = {
  id: string;
  event_id: string;
  endpoint_id: string;
  type: string;
  status: string;
  attempts: {
    attempt: number;
    at: string | null;
    duration_ms: number;
    status_code: number | null;
    error: string | null;
  }[];
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string | null;
};
export type ApiKey = {
  id: string;
  prefix: string;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  scopes: string;
  expires_at: string | null;
};
export type RequestLog = {
  request_id: string;
  account_id: string | null;
  provider: string | null;
  service: string;
  http_method: string;
  path: string;
  status: number;
  duration: number;
  event_datetime: string;
  source_id: string | null;
  source_value: string | null;
  error: string | null;
  step_requests: { http_method: string | null; path: string | null; status: number | null }[] | null;
};
export type AuditEntry = {
  id: string;
  actor: Actor;
  action: string;
  target_type: string | null;
  target_id: string | null;
  detail: Record<string, unknown> | null;
  created_at: string;
};

export type RefusedCount = { key_id: string; minute: string; count: number };
