/**
 * Every Portico series, in one place: name, type, help text and labels. Labels are bounded by
 * construction (route templates, provider keys, statuses, outcomes): never a raw path, an id or an
 * owner. The names follow Prometheus' conventions (base units in the name, `_total` on counters).
 * @see https://prometheus.io/docs/practices/naming/
 *
 * `aggregate` says how `serve --processes N` folds the workers' values into the node's one
 * answer: counts and histograms add up; a gauge read from the database is the same in every
 * process that reports it (max); the database is up only if every process can reach it (min).
 */

/** Request and query durations: Portico answers most requests in a millisecond or two. */
const FAST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Provider calls: tens of milliseconds to the proxy's 30 s timeout. */
const PROVIDER_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

type Aggregate = "sum" | "max" | "min";

type Def = {
  help: string;
  labels: readonly string[];
  aggregate?: Aggregate;
  /** Label sets that exist from the start at 0, so `rate()` and alerts see them before the first event. */
  initial?: readonly Record<string, string>[];
};

export const COUNTERS = {
  portico_http_requests_total: {
    help: "HTTP requests answered, by method, route template and status code",
    labels: ["method", "route", "status"],
  },
  portico_connect_sessions_created_total: { help: "Connect sessions created", labels: [] },
  portico_connect_sessions_authenticated_total: {
    help: "Connect session tokens authenticated (POST /connect_sessions/authenticate)",
    labels: [],
  },
  portico_proxy_requests_total: {
    help: "Calls to providers through the proxy, by provider and the provider's status code (error: no answer)",
    labels: ["provider", "status"],
  },
  portico_token_refreshes_total: {
    help: "OAuth token refreshes, by outcome: success, rejected (the provider refused the grant: the account must be re-connected) or error (the provider could not be reached or failed)",
    labels: ["outcome"],
    initial: [{ outcome: "success" }, { outcome: "rejected" }, { outcome: "error" }],
  },
  portico_webhook_deliveries_total: {
    help: "Webhook delivery attempts, by outcome: delivered, retry (failed, will be retried) or failed (given up)",
    labels: ["outcome"],
    initial: [{ outcome: "delivered" }, { outcome: "retry" }, { outcome: "failed" }],
  },
  portico_rate_limited_total: {
    help: "Requests refused by a rate limit, by limit: api-key, address, replay-events or failed-auth",
    labels: ["limit"],
    initial: [
      { limit: "api-key" },
      { limit: "address" },
      { limit: "replay-events" },
      { limit: "failed-auth" },
    ],
  },
  portico_request_log_written_total: { help: "Request-log records written to the database", labels: [] },
  portico_request_log_dropped_total: {
    help: "Request-log records dropped: the buffer was full (the database did not keep up, or was down), or the database refused the record; also 429 answers whose per-key counts were lost",
    labels: [],
  },
} as const satisfies Record<string, Def>;

export const HISTOGRAMS = {
  portico_http_request_duration_seconds: {
    help: "Time to answer an HTTP request, by method and route template",
    labels: ["method", "route"],
    buckets: FAST_BUCKETS,
  },
  portico_proxy_request_duration_seconds: {
    help: "Duration of calls to providers through the proxy (token refresh on the way included), by provider",
    labels: ["provider"],
    buckets: PROVIDER_BUCKETS,
  },
  portico_database_query_duration_seconds: {
    help: "Duration of database statements",
    labels: [],
    buckets: FAST_BUCKETS,
  },
} as const satisfies Record<string, Def & { buckets: readonly number[] }>;

export const GAUGES = {
  // The pool first: a scrape reads its state before the gauges below take connections to count.
  portico_database_pool_connections: {
    help: "PostgreSQL pool connections by state: in_use or idle",
    labels: ["state"],
  },
  portico_database_pool_waiting_requests: {
    help: "Queries waiting for a PostgreSQL pool connection",
    labels: [],
  },
  portico_database_pool_max_connections: {
    help: "PostgreSQL pool size (PORTICO_DATABASE_POOL_SIZE), summed over the node's processes",
    labels: [],
  },
  portico_accounts: {
    help: "Linked accounts by status and provider (recomputed at most every 30 s)",
    labels: ["status", "provider"],
    aggregate: "max",
  },
  portico_webhook_backlog: {
    help: "Webhook deliveries waiting to be delivered to active endpoints (retries included)",
    labels: [],
    aggregate: "max",
  },
  portico_webhook_oldest_pending_seconds: {
    help: "How long the longest-waiting delivery that is due now has waited to be sent (0: none)",
    labels: [],
    aggregate: "max",
  },
  portico_database_up: {
    help: "Whether the database answers, as /readyz sees it (1 or 0)",
    labels: [],
    aggregate: "min",
  },
  portico_processes: {
    help: "Processes of this node that answered this scrape (serve --processes N: N)",
    labels: [],
  },
  portico_build_info: { help: "Portico's version, always 1", labels: ["version"], aggregate: "max" },
} as const satisfies Record<string, Def>;

export type CounterName = keyof typeof COUNTERS;
export type HistogramName = keyof typeof HISTOGRAMS;
export type GaugeName = keyof typeof GAUGES;

/** The label values a series takes, by its label names. */
export type LabelsOf<L extends readonly string[]> = L extends readonly []
  ? undefined
  : Record<L[number], string>;
export type CounterLabels<N extends CounterName> = LabelsOf<(typeof COUNTERS)[N]["labels"]>;
export type HistogramLabels<N extends HistogramName> = LabelsOf<(typeof HISTOGRAMS)[N]["labels"]>;

/** How often the accounts gauge is recomputed at most (a count over every account). */
export const ACCOUNTS_REFRESH_MS = 30_000;
/** How often the webhook gauges are recomputed at most (an indexed count of pending deliveries). */
export const WEBHOOKS_REFRESH_MS = 5_000;
