import fs from "node:fs";
import { isIP } from "node:net";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { parseKeyring } from "./crypto/keyring.js";
import type { DatabaseTimeouts } from "./db/database.js";
import { EnvFileError, parseEnvFile } from "./env-file.js";

/**
 * One schema over process.env (and the .env file: see readSettings below). Every variable Portico
 * reads is declared here, with its default; each also needs a row in docs/configuration.md
 * (test/docs/configuration.test.ts checks it).
 */
const bool = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === "true" || v === "1" || v === "yes"));

/** More processes than this is a typo, not a machine. */
const MAX_PROCESSES = 256;

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

/** How many processes serve: a count, or `auto` for one per core. */
const processes = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === "") return 1;
    if (v === "auto") return os.availableParallelism();
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PROCESSES) {
      ctx.addIssue({ code: "custom", message: `must be auto or an integer between 1 and ${MAX_PROCESSES}` });
      return z.NEVER;
    }
    return n;
  });

const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

const isHttpUrl = (v: string) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol);

/** What Fastify's trustProxy (proxy-addr) takes: an address, a CIDR range, or a named range. */
const isProxyAddress = (v: string) => {
  if (["loopback", "linklocal", "uniquelocal"].includes(v)) return true;
  const [ip, bits, ...rest] = v.split("/");
  const family = isIP(ip ?? "");
  if (!family || rest.length) return false;
  return bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
};

/**
 * Which calls the request log keeps (PORTICO_REQUEST_LOG): every one, the failed ones (4xx, 5xx),
 * the failed ones and one in n of the others (at random), or none. Daily counters count every call
 * whatever it says.
 */
export type RequestLogVolume =
  | { mode: "all" }
  | { mode: "errors" }
  | { mode: "sample"; every: number }
  | { mode: "off" };

const requestLogVolume = z
  .string()
  .optional()
  .transform((v, ctx): RequestLogVolume => {
    const s = (v ?? "").trim().toLowerCase();
    if (s === "" || s === "all") return { mode: "all" };
    if (s === "errors" || s === "off") return { mode: s };
    const m = /^sample:(\d{1,7})$/.exec(s);
    if (m && Number(m[1]) >= 1) return { mode: "sample", every: Number(m[1]) };
    ctx.addIssue({
      code: "custom",
      message:
        "must be all, errors, sample:<n> (keep failed calls and one in n of the others, n >= 1) or off",
    });
    return z.NEVER;
  });
/** An email domain as single sign-on compares it: lower-case labels, at least two. */
const isDomain = (v: string) => /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(v);

/** Loopback hosts, where a development identity provider may answer over http. */
const isLoopbackHost = (host: string) =>
  host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

const url = z
  .string()
  .optional()
  .refine((v) => v === undefined || v === "" || URL.canParse(v), { message: "must be an absolute URL" });

/**
 * `key=value` pairs separated by commas, values percent-encoded: OTEL_EXPORTER_OTLP_HEADERS and
 * OTEL_RESOURCE_ATTRIBUTES.
 * @see https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */
function parseKeyValues(v: string | undefined): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const pair of list(v ?? "")) {
    const eq = pair.indexOf("=");
    const key = pair.slice(0, eq).trim();
    let value = "";
    try {
      value = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {}
    if (eq <= 0 || !key || !value) return null;
    out[key] = value;
  }
  return out;
}

/** Kept as written (`portico config` shows it so); parsed by parseKeyValues where it is used. */
const keyValues = z
  .string()
  .optional()
  .refine((v) => parseKeyValues(v) !== null, {
    message: "must be a comma-separated list of key=value pairs",
  });

/** A signal-specific override: unset means the general variable's value. */
const optionalInt = (min: number, max: number) =>
  z
    .string()
    .optional()
    .refine((v) => !v || (Number.isInteger(Number(v)) && Number(v) >= min && Number(v) <= max), {
      message: `must be an integer between ${min} and ${max}`,
    });

const otlpEndpoint = z
  .string()
  .optional()
  .refine((v) => !v || isHttpUrl(v), { message: "must be an absolute http(s) URL" });

const OTLP_PROTOCOLS = ["http/protobuf", "http/json"] as const;
const otlpProtocol = z
  .string()
  .optional()
  .refine((v) => !v || (OTLP_PROTOCOLS as readonly string[]).includes(v), {
    message: `must be ${OTLP_PROTOCOLS.join(" or ")} (grpc is not supported: point it at the collector's HTTP port, 4318)`,
  });

const SAMPLERS = [
  "always_on",
  "always_off",
  "traceidratio",
  "parentbased_always_on",
  "parentbased_always_off",
  "parentbased_traceidratio",
] as const;

/** The standard OpenTelemetry variables Portico reads for traces (and passes to nothing else). */
const otelSchema = {
  OTEL_SDK_DISABLED: bool(false),
  OTEL_TRACES_EXPORTER: z
    .string()
    .optional()
    .refine((v) => !v || v === "otlp" || v === "none", { message: "must be otlp or none" }),
  OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlpEndpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol,
  OTEL_EXPORTER_OTLP_HEADERS: keyValues,
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValues,
  OTEL_EXPORTER_OTLP_TIMEOUT: int(10_000, 1, 600_000),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: optionalInt(1, 600_000),
  OTEL_EXPORTER_OTLP_COMPRESSION: z.enum(["gzip", "none"], { message: "must be gzip or none" }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: z
    .enum(["gzip", "none"], { message: "must be gzip or none" })
    .optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
  OTEL_RESOURCE_ATTRIBUTES: keyValues,
  OTEL_TRACES_SAMPLER: z
    .enum(SAMPLERS, { message: `must be one of ${SAMPLERS.join(", ")}` })
    .default("parentbased_always_on"),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .optional()
    .refine((v) => !v || (Number.isFinite(Number(v)) && Number(v) >= 0 && Number(v) <= 1), {
      message: "must be a number between 0 and 1",
    }),
  OTEL_BSP_SCHEDULE_DELAY: int(5000, 0, 600_000),
  OTEL_BSP_EXPORT_TIMEOUT: int(30_000, 1, 600_000),
  OTEL_BSP_MAX_QUEUE_SIZE: int(2048, 1, 1_000_000),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: int(512, 1, 1_000_000),
};

const envSchema = z.object({
  PORTICO_DATA_DIR: z.string().min(1).default("./data"),
  PORTICO_DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || /^(file:.+|postgres(ql)?:\/\/.+)$/.test(v), {
      message: "must be file:<path> or postgres://...",
    }),
  PORTICO_DATABASE_POOL_SIZE: int(10, 1, 200),
  PORTICO_DATABASE_CONNECT_TIMEOUT_MS: int(5000, 100, 600_000),
  PORTICO_DATABASE_QUERY_TIMEOUT_MS: int(15_000, 100, 3600_000),
  PORTICO_DATABASE_STATEMENT_TIMEOUT_MS: int(10_000, 100, 3600_000),
  PORTICO_DATABASE_BUSY_TIMEOUT_MS: int(5000, 0, 600_000),
  PORTICO_READYZ_TIMEOUT_MS: int(1000, 50, 60_000),
  PORTICO_PORT: int(4000, 0, 65535),
  PORTICO_HOST: z.string().min(1).default("127.0.0.1"),
  PORTICO_PUBLIC_URL: z
    .string()
    .optional()
    .refine((v) => !v || isHttpUrl(v), { message: "must be an absolute http(s) URL" }),
  PORTICO_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  PORTICO_LOG_FORMAT: z
    .enum(["auto", "pretty", "json"], { message: "must be pretty, json or auto" })
    .default("auto"),
  /** Read before everything else (see readSettings); declared so `portico config` shows it. */
  PORTICO_ENV_FILE: z.string().optional(),
  PORTICO_BODY_LIMIT_BYTES: int(100 * 1024, 1024, 50 * 1024 * 1024),
  PORTICO_HTTP_REQUEST_TIMEOUT_MS: int(30_000, 100, 3600_000),
  PORTICO_HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  PORTICO_HTTP_KEEP_ALIVE_TIMEOUT_MS: int(72_000, 100, 600_000),
  PORTICO_SHUTDOWN_DRAIN_MS: int(5000, 0, 600_000),
  PORTICO_SHUTDOWN_TIMEOUT_MS: int(25_000, 1000, 3600_000),
  PORTICO_ENCRYPTION_KEYS: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (!v) return;
      try {
        parseKeyring(v);
      } catch (err) {
        ctx.addIssue({
          code: "custom",
          message: (err as Error).message.replace(/^PORTICO_ENCRYPTION_KEYS: /, ""),
        });
      }
    }),
  /** A file holding the keyring (a Docker or Kubernetes secret), instead of the variable above. */
  PORTICO_ENCRYPTION_KEYS_FILE: z.string().optional(),
  PORTICO_SANDBOX: bool(true),
  PORTICO_ALLOW_PRIVATE_NETWORKS: bool(false),
  PORTICO_CORS_ORIGINS: z
    .string()
    .default("*")
    .refine((v) => v.trim() === "*" || list(v).every(isHttpUrl), {
      message: 'must be "*" or a comma-separated list of http(s) origins',
    }),
  PORTICO_OAUTH_REDIRECT_URL: url,
  PORTICO_REDIRECT_ORIGINS: z
    .string()
    .default("")
    .refine((v) => list(v).every(isHttpUrl), {
      message: "must be a comma-separated list of http(s) URLs",
    }),
  PORTICO_API_KEY_CACHE_SECONDS: int(5, 0, 3600),
  PORTICO_RATE_LIMIT_PER_MINUTE: int(0, 0, 10_000_000),
  PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE: int(1000, 0, 10_000_000),
  PORTICO_FAILED_AUTH_LIMIT_PER_MINUTE: int(20, 0, 1_000_000),
  PORTICO_TRUSTED_PROXIES: z
    .string()
    .default("")
    .refine((v) => list(v).every(isProxyAddress), {
      message:
        "must be a comma-separated list of IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal)",
    }),
  PORTICO_WORKERS: bool(true),
  PORTICO_PROCESSES: processes,
  PORTICO_HEAP_GROWTH_PERCENT: int(30, 0, 400),
  PORTICO_TOKEN_REFRESH_MARGIN_SECONDS: int(300, 0, 86400),
  PORTICO_TOKEN_IDLE_REFRESH_HOURS: int(24 * 7, 1, 24 * 365),
  PORTICO_REFRESH_INTERVAL_SECONDS: int(30, 1, 3600),
  PORTICO_CATALOG_DIRS: z.string().default(""),
  PORTICO_SANDBOX_TOKEN_TTL_SECONDS: int(3600, 5, 86400),
  PORTICO_PROXY_TIMEOUT_MS: int(30000, 100, 600000),
  PORTICO_WEBHOOK_TIMEOUT_MS: int(10000, 100, 120000),
  PORTICO_WEBHOOK_SECRET_OVERLAP_SECONDS: int(86400, 0, 30 * 86400),
  PORTICO_WEBHOOK_MAX_AGE_HOURS: int(72, 24, 24 * 30),
  PORTICO_WEBHOOK_DISABLE_AFTER_HOURS: int(120, 1, 24 * 60),
  PORTICO_WEBHOOK_RETRY_BASE_MS: int(5000, 10, 3600_000),
  PORTICO_WEBHOOK_POLL_MS: int(500, 10, 60_000),
  PORTICO_CONSOLE: bool(true),
  PORTICO_CONSOLE_LINK_MINUTES: int(15, 1, 24 * 60),
  PORTICO_CONSOLE_IDLE_MINUTES: int(60, 5, 7 * 24 * 60),
  PORTICO_REQUEST_LOG: requestLogVolume,
  PORTICO_CONSOLE_INVITATION_HOURS: int(168, 1, 30 * 24),
  PORTICO_CONSOLE_OIDC_ISSUER: z
    .string()
    .optional()
    .refine((v) => !v || (isHttpUrl(v) && !new URL(v).search && !new URL(v).hash), {
      message: "must be an absolute http(s) URL without query or fragment",
    }),
  PORTICO_CONSOLE_OIDC_CLIENT_ID: z.string().max(500).optional(),
  PORTICO_CONSOLE_OIDC_CLIENT_SECRET: z.string().max(2000).optional(),
  PORTICO_CONSOLE_OIDC_ALLOWED_DOMAINS: z
    .string()
    .default("")
    .refine((v) => list(v).every(isDomain), {
      message: "must be a comma-separated list of email domains (example.com)",
    }),
  PORTICO_CONSOLE_OIDC_DEFAULT_ROLE: z
    .enum(["viewer", "admin", "owner"], { message: "must be viewer, admin or owner" })
    .default("viewer"),
  PORTICO_REQUEST_LOG_RETENTION_DAYS: int(30, 1, 3650),
  PORTICO_ACCOUNT_EVENTS_RETENTION_DAYS: int(365, 1, 3650),
  PORTICO_AUDIT_RETENTION_DAYS: int(365, 1, 3650),
  PORTICO_METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  PORTICO_METRICS_PORT: int(9464, 0, 65535),
  ...otelSchema,
  PORTICO_HEALTH_CHECK_INTERVAL_HOURS: int(24, 0, 24 * 365),
  PORTICO_HEALTH_CHECK_CONCURRENCY: int(4, 1, 100),
  PORTICO_HEALTH_CHECK_POLL_SECONDS: int(60, 1, 3600),
});

/** Where and how spans are exported (OTLP over HTTP), and which are kept. */
export type TracesConfig = {
  /** The full URL spans are POSTed to (`.../v1/traces`). */
  url: string;
  protocol: (typeof OTLP_PROTOCOLS)[number];
  headers: Record<string, string>;
  timeoutMs: number;
  compression: "gzip" | "none";
  serviceName: string;
  resourceAttributes: Record<string, string>;
  sampler: (typeof SAMPLERS)[number];
  /** The ratio of the traceidratio samplers (1 unless OTEL_TRACES_SAMPLER_ARG says otherwise). */
  samplerRatio: number;
  batch: { delayMs: number; exportTimeoutMs: number; maxQueueSize: number; maxBatchSize: number };
};

export type Config = {
  dataDir: string;
  databaseUrl: string;
  /** PostgreSQL connections per process (nodes x this must stay under the server's max_connections). */
  databasePoolSize: number;
  /** How long the database may take to connect, answer, run a statement, release a lock. */
  databaseTimeouts: DatabaseTimeouts;
  /** `/readyz` answers 503 when the database has not answered within this. */
  readyzTimeoutMs: number;
  port: number;
  host: string;
  publicUrl: string;
  logLevel: string;
  /** Log lines for people (coloured, one line each) or for machines (JSON); auto: pretty on a terminal. */
  logFormat: "auto" | "pretty" | "json";
  bodyLimitBytes: number;
  /** Node's HTTP server: whole request received, headers received, idle keep-alive connection. */
  httpTimeouts: { requestMs: number; headersMs: number; keepAliveMs: number };
  /** On SIGTERM: how long /readyz says 503 while requests are still served, and the whole bound. */
  shutdown: { drainMs: number; timeoutMs: number };
  /** `kid:base64key` pairs; the first is the key new ciphertexts use. Empty: keyring file in dataDir. */
  encryptionKeys: string | undefined;
  sandbox: boolean;
  allowPrivateNetworks: boolean;
  corsOrigins: string[] | "*";
  oauthRedirectUrl: string;
  redirectOrigins: string[];
  apiKeyCacheSeconds: number;
  /** API calls per minute per key, unless a project sets its own (0: off). */
  rateLimitPerMinute: number;
  /** Requests per minute per client address on the public surfaces (0: off). */
  publicRateLimitPerMinute: number;
  /** Failed authentications per minute per client address and surface (API key, hub token, console sign-in); 0 is off. */
  failedAuthLimitPerMinute: number;
  /** Proxies whose X-Forwarded-For names the client (addresses, CIDR ranges); empty: none. */
  trustedProxies: string[];
  workers: boolean;
  /** `portico serve` processes sharing the port (1: no cluster, this process serves). */
  processes: number;
  /** V8's old-generation growth factor for `serve` (percent over live; 0: V8's default). */
  heapGrowthPercent: number;
  tokenRefreshMarginSeconds: number;
  /** A refresh token unused this long is refreshed anyway, before the provider expires it. */
  tokenIdleRefreshHours: number;
  refreshIntervalSeconds: number;
  /** Extra directories of catalog entries (private or custom providers). */
  catalogDirs: string[];
  sandboxTokenTtlSeconds: number;
  proxyTimeoutMs: number;
  webhookTimeoutMs: number;
  webhookSecretOverlapSeconds: number;
  webhookMaxAgeHours: number;
  webhookDisableAfterHours: number;
  webhookRetryBaseMs: number;
  webhookPollMs: number;
  /** Serve the operator console at /console (and send `/` there). */
  console: boolean;
  consoleLinkMinutes: number;
  consoleIdleMinutes: number;
  /** Which calls the request log keeps (PORTICO_REQUEST_LOG). */
  requestLog: RequestLogVolume;
  /** How long a console invitation link works (once). */
  consoleInvitationHours: number;
  /** Single sign-on to the console with OpenID Connect; null when not configured. */
  consoleOidc: ConsoleOidcConfig | null;
  requestLogRetentionDays: number;
  accountEventsRetentionDays: number;
  auditRetentionDays: number;
  /** Prometheus `/metrics` on a listener of its own; null when PORTICO_METRICS_PORT is 0. */
  metrics: { host: string; port: number } | null;
  /** OTLP trace export, from the standard OTEL_* variables; null when they ask for none. */
  traces: TracesConfig | null;
  /** Connection health checks (accounts/health.ts): interval (0: off), per-provider bound, poll. */
  healthCheck: { intervalHours: number; concurrency: number; pollSeconds: number };
};

export type ConsoleOidcConfig = {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Email domains whose verified emails sign in without an invitation (lower case). */
  allowedDomains: string[];
  /** The role such a first sign-in gets. */
  defaultRole: "viewer" | "admin" | "owner";
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const stripSlash = (u: string) => u.replace(/\/+$/, "");

/**
 * `portico serve --processes <n|auto>`: the same rule as PORTICO_PROCESSES, which the flag
 * overrides.
 */
export function parseProcesses(value: string): number {
  const r = processes.safeParse(value);
  if (!r.success) throw new ConfigError([`--processes: ${r.error.issues[0]?.message}`]);
  return r.data;
}

/**
 * Traces are exported only when an OTLP endpoint is named, the SDK is not disabled and the
 * exporter is not `none`. A signal-specific variable wins over the general one; the general
 * endpoint gets the signal's path appended, the specific one is used as it is.
 * @see https://opentelemetry.io/docs/specs/otel/protocol/exporter/
 */
function tracesConfig(e: z.infer<typeof envSchema>): TracesConfig | null {
  if (e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER === "none") return null;
  const url = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    : e.OTEL_EXPORTER_OTLP_ENDPOINT
      ? `${stripSlash(e.OTEL_EXPORTER_OTLP_ENDPOINT)}/v1/traces`
      : null;
  if (!url) return null;
  const ratio = e.OTEL_TRACES_SAMPLER_ARG ? Number(e.OTEL_TRACES_SAMPLER_ARG) : 1;
  const resource = parseKeyValues(e.OTEL_RESOURCE_ATTRIBUTES) ?? {};
  return {
    url,
    protocol: (e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ||
      e.OTEL_EXPORTER_OTLP_PROTOCOL ||
      "http/protobuf") as TracesConfig["protocol"],
    headers: {
      ...parseKeyValues(e.OTEL_EXPORTER_OTLP_HEADERS),
      ...parseKeyValues(e.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
    },
    timeoutMs: e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT
      ? Number(e.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT)
      : e.OTEL_EXPORTER_OTLP_TIMEOUT,
    compression: e.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION ?? e.OTEL_EXPORTER_OTLP_COMPRESSION ?? "none",
    serviceName: e.OTEL_SERVICE_NAME || resource["service.name"] || "portico",
    resourceAttributes: resource,
    sampler: e.OTEL_TRACES_SAMPLER,
    samplerRatio: ratio,
    batch: {
      delayMs: e.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: e.OTEL_BSP_EXPORT_TIMEOUT,
      maxQueueSize: e.OTEL_BSP_MAX_QUEUE_SIZE,
      maxBatchSize: Math.min(e.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, e.OTEL_BSP_MAX_QUEUE_SIZE),
    },
  };
}

/**
 * Reads and validates the settings: by default the environment over the .env file (readSettings),
 * or exactly the variables given. Throws ConfigError naming every bad variable at once, and the
 * file line it came from.
 */
export function loadConfig(env?: NodeJS.ProcessEnv): Config {
  const settings = env ? null : readSettings();
  const parsed = envSchema.safeParse(env ?? settings!.values);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${String(i.path[0])}: ${i.message}${fromFile(settings, String(i.path[0]))}`,
      ),
    );
  }
  const e = parsed.data;
  // The server's statement timeout must fire first: it cancels the statement and keeps the
  // connection, where the client's gives the connection up.
  const order: string[] = [];
  if (e.PORTICO_DATABASE_STATEMENT_TIMEOUT_MS >= e.PORTICO_DATABASE_QUERY_TIMEOUT_MS)
    order.push("PORTICO_DATABASE_STATEMENT_TIMEOUT_MS: must be below PORTICO_DATABASE_QUERY_TIMEOUT_MS");
  // Node refuses a headers timeout longer than the whole request's.
  if (e.PORTICO_HTTP_HEADERS_TIMEOUT_MS > e.PORTICO_HTTP_REQUEST_TIMEOUT_MS)
    order.push("PORTICO_HTTP_HEADERS_TIMEOUT_MS: must be at most PORTICO_HTTP_REQUEST_TIMEOUT_MS");
  if (e.PORTICO_SHUTDOWN_DRAIN_MS >= e.PORTICO_SHUTDOWN_TIMEOUT_MS)
    order.push("PORTICO_SHUTDOWN_DRAIN_MS: must be below PORTICO_SHUTDOWN_TIMEOUT_MS");
  const oidc = e.PORTICO_CONSOLE_OIDC_ISSUER;
  if (oidc) {
    for (const name of ["PORTICO_CONSOLE_OIDC_CLIENT_ID", "PORTICO_CONSOLE_OIDC_CLIENT_SECRET"] as const)
      if (!e[name]) order.push(`${name}: is required with PORTICO_CONSOLE_OIDC_ISSUER`);
    const issuer = new URL(oidc);
    if (
      issuer.protocol !== "https:" &&
      !(isLoopbackHost(issuer.hostname) && e.PORTICO_ALLOW_PRIVATE_NETWORKS)
    )
      order.push(
        "PORTICO_CONSOLE_OIDC_ISSUER: must be https (http only on a loopback address, with PORTICO_ALLOW_PRIVATE_NETWORKS=true)",
      );
  } else
    for (const name of ["PORTICO_CONSOLE_OIDC_CLIENT_ID", "PORTICO_CONSOLE_OIDC_CLIENT_SECRET"] as const)
      if (e[name]) order.push(`${name}: needs PORTICO_CONSOLE_OIDC_ISSUER`);
  const keys = encryptionKeysOf(e.PORTICO_ENCRYPTION_KEYS, e.PORTICO_ENCRYPTION_KEYS_FILE, order);
  if (order.length) throw new ConfigError(order);
  const publicUrl = stripSlash(e.PORTICO_PUBLIC_URL || `http://localhost:${e.PORTICO_PORT}`);
  const dataDir = path.resolve(e.PORTICO_DATA_DIR);
  const cors = e.PORTICO_CORS_ORIGINS.trim();
  return {
    dataDir,
    databaseUrl: e.PORTICO_DATABASE_URL ?? `file:${path.join(e.PORTICO_DATA_DIR, "portico.db")}`,
    databasePoolSize: e.PORTICO_DATABASE_POOL_SIZE,
    databaseTimeouts: {
      connectMs: e.PORTICO_DATABASE_CONNECT_TIMEOUT_MS,
      queryMs: e.PORTICO_DATABASE_QUERY_TIMEOUT_MS,
      statementMs: e.PORTICO_DATABASE_STATEMENT_TIMEOUT_MS,
      busyMs: e.PORTICO_DATABASE_BUSY_TIMEOUT_MS,
      probeMs: e.PORTICO_READYZ_TIMEOUT_MS,
    },
    readyzTimeoutMs: e.PORTICO_READYZ_TIMEOUT_MS,
    port: e.PORTICO_PORT,
    host: e.PORTICO_HOST,
    publicUrl,
    logLevel: e.PORTICO_LOG_LEVEL,
    logFormat: e.PORTICO_LOG_FORMAT,
    bodyLimitBytes: e.PORTICO_BODY_LIMIT_BYTES,
    httpTimeouts: {
      requestMs: e.PORTICO_HTTP_REQUEST_TIMEOUT_MS,
      headersMs: e.PORTICO_HTTP_HEADERS_TIMEOUT_MS,
      keepAliveMs: e.PORTICO_HTTP_KEEP_ALIVE_TIMEOUT_MS,
    },
    shutdown: { drainMs: e.PORTICO_SHUTDOWN_DRAIN_MS, timeoutMs: e.PORTICO_SHUTDOWN_TIMEOUT_MS },
    encryptionKeys: keys,
    sandbox: e.PORTICO_SANDBOX,
    allowPrivateNetworks: e.PORTICO_ALLOW_PRIVATE_NETWORKS,
    corsOrigins: cors === "*" ? "*" : list(cors),
    oauthRedirectUrl: stripSlash(e.PORTICO_OAUTH_REDIRECT_URL || `${publicUrl}/oauth/callback`),
    redirectOrigins: list(e.PORTICO_REDIRECT_ORIGINS).map((o) => new URL(o).origin),
    apiKeyCacheSeconds: e.PORTICO_API_KEY_CACHE_SECONDS,
    rateLimitPerMinute: e.PORTICO_RATE_LIMIT_PER_MINUTE,
    publicRateLimitPerMinute: e.PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE,
    failedAuthLimitPerMinute: e.PORTICO_FAILED_AUTH_LIMIT_PER_MINUTE,
    trustedProxies: list(e.PORTICO_TRUSTED_PROXIES),
    workers: e.PORTICO_WORKERS,
    processes: e.PORTICO_PROCESSES,
    heapGrowthPercent: e.PORTICO_HEAP_GROWTH_PERCENT,
    tokenRefreshMarginSeconds: e.PORTICO_TOKEN_REFRESH_MARGIN_SECONDS,
    tokenIdleRefreshHours: e.PORTICO_TOKEN_IDLE_REFRESH_HOURS,
    refreshIntervalSeconds: e.PORTICO_REFRESH_INTERVAL_SECONDS,
    catalogDirs: list(e.PORTICO_CATALOG_DIRS).map((d) => path.resolve(d)),
    sandboxTokenTtlSeconds: e.PORTICO_SANDBOX_TOKEN_TTL_SECONDS,
    proxyTimeoutMs: e.PORTICO_PROXY_TIMEOUT_MS,
    webhookTimeoutMs: e.PORTICO_WEBHOOK_TIMEOUT_MS,
    webhookSecretOverlapSeconds: e.PORTICO_WEBHOOK_SECRET_OVERLAP_SECONDS,
    webhookMaxAgeHours: e.PORTICO_WEBHOOK_MAX_AGE_HOURS,
    webhookDisableAfterHours: e.PORTICO_WEBHOOK_DISABLE_AFTER_HOURS,
    webhookRetryBaseMs: e.PORTICO_WEBHOOK_RETRY_BASE_MS,
    webhookPollMs: e.PORTICO_WEBHOOK_POLL_MS,
    console: e.PORTICO_CONSOLE,
    consoleLinkMinutes: e.PORTICO_CONSOLE_LINK_MINUTES,
    consoleIdleMinutes: e.PORTICO_CONSOLE_IDLE_MINUTES,
    requestLog: e.PORTICO_REQUEST_LOG,
    consoleInvitationHours: e.PORTICO_CONSOLE_INVITATION_HOURS,
    consoleOidc: oidc
      ? {
          issuer: oidc,
          clientId: e.PORTICO_CONSOLE_OIDC_CLIENT_ID!,
          clientSecret: e.PORTICO_CONSOLE_OIDC_CLIENT_SECRET!,
          allowedDomains: list(e.PORTICO_CONSOLE_OIDC_ALLOWED_DOMAINS).map((d) => d.toLowerCase()),
          defaultRole: e.PORTICO_CONSOLE_OIDC_DEFAULT_ROLE,
        }
      : null,
    requestLogRetentionDays: e.PORTICO_REQUEST_LOG_RETENTION_DAYS,
    accountEventsRetentionDays: e.PORTICO_ACCOUNT_EVENTS_RETENTION_DAYS,
    auditRetentionDays: e.PORTICO_AUDIT_RETENTION_DAYS,
    metrics: e.PORTICO_METRICS_PORT ? { host: e.PORTICO_METRICS_HOST, port: e.PORTICO_METRICS_PORT } : null,
    traces: tracesConfig(e),
    healthCheck: {
      intervalHours: e.PORTICO_HEALTH_CHECK_INTERVAL_HOURS,
      concurrency: e.PORTICO_HEALTH_CHECK_CONCURRENCY,
      pollSeconds: e.PORTICO_HEALTH_CHECK_POLL_SECONDS,
    },
  };
}

/**
 * The keyring from PORTICO_ENCRYPTION_KEYS, or read from the file PORTICO_ENCRYPTION_KEYS_FILE
 * names (a mounted secret keeps it out of the process's environment, where `docker inspect` and
 * /proc show it); undefined when neither is set (the data directory's keyring file). Problems are
 * added to `problems`.
 */
function encryptionKeysOf(value: string | undefined, file: string | undefined, problems: string[]) {
  if (!file) return value || undefined;
  if (value) {
    problems.push("PORTICO_ENCRYPTION_KEYS_FILE: set it or PORTICO_ENCRYPTION_KEYS, not both");
    return undefined;
  }
  try {
    const text = fs.readFileSync(file, "utf8").trim();
    parseKeyring(text);
    return text;
  } catch (err) {
    const why =
      (err as NodeJS.ErrnoException).code ?? (err as Error).message.replace(/^PORTICO_ENCRYPTION_KEYS: /, "");
    problems.push(`PORTICO_ENCRYPTION_KEYS_FILE: ${file}: ${why}`);
    return undefined;
  }
}

/** Where a setting's value came from. */
export type SettingSource =
  | { kind: "environment" }
  | { kind: "file"; file: string; line: number }
  | { kind: "default" };

export type Settings = {
  /** The variables the schema reads: the environment's, then the file's for those it lacks. */
  values: NodeJS.ProcessEnv;
  sources: Map<string, SettingSource>;
  /** The env file read, absolute; null when there is none. */
  file: string | null;
};

/** Every PORTICO_* variable Portico reads, and the standard OTEL_* ones for traces. */
export const SETTING_NAMES: readonly string[] = Object.keys(envSchema.shape);

/** The OpenTelemetry variables Portico reads from the environment and the env file alike. */
const OTEL_NAMES = new Set(Object.keys(otelSchema));
const isSetting = (name: string) => name.startsWith("PORTICO_") || OTEL_NAMES.has(name);

/**
 * The settings of the server and of every CLI command, in one place: the environment's PORTICO_*
 * variables (and the OTEL_* ones traces read), and for those it does not set, the ones of the env
 * file: `.env` in the working
 * directory when there is one, or the file PORTICO_ENV_FILE names (set it empty to read none). A
 * variable present in the environment wins, even empty, as with dotenv and Docker Compose. The
 * file may hold other variables (Compose reads the same file for its own), which are left alone;
 * a PORTICO_ name that is no setting is a typo, and an error.
 */
export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const values: NodeJS.ProcessEnv = {};
  const sources = new Map<string, SettingSource>();
  for (const [name, value] of Object.entries(env)) {
    if (!isSetting(name)) continue;
    values[name] = value;
    sources.set(name, { kind: "environment" });
  }
  const named = env.PORTICO_ENV_FILE;
  const file = named === undefined ? path.resolve(cwd, ".env") : named ? path.resolve(cwd, named) : null;
  if (!file || (named === undefined && !fs.existsSync(file))) return { values, sources, file: null };
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([`PORTICO_ENV_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`]);
  }
  const problems: string[] = [];
  let entries: ReturnType<typeof parseEnvFile> = [];
  try {
    entries = parseEnvFile(text, file);
  } catch (err) {
    if (!(err instanceof EnvFileError)) throw err;
    problems.push(err.message);
  }
  for (const { name, value, line } of entries) {
    if (!isSetting(name)) continue;
    if (name === "PORTICO_ENV_FILE" || !SETTING_NAMES.includes(name)) {
      problems.push(
        `${file}:${line}: ${name} ${name === "PORTICO_ENV_FILE" ? "names the file from outside it, in the environment" : "is not a Portico setting"}`,
      );
      continue;
    }
    if (sources.get(name)?.kind === "environment") continue;
    values[name] = value;
    sources.set(name, { kind: "file", file, line });
  }
  if (problems.length) throw new ConfigError(problems);
  return { values, sources, file };
}

/** " (file:line)" when a setting came from the env file, for messages about its value. */
const fromFile = (settings: Settings | null, name: string): string => {
  const where = settings?.sources.get(name);
  return where?.kind === "file" ? ` (${where.file}:${where.line})` : "";
};

/** One row of `portico config`. */
export type EffectiveSetting = { name: string; value: string; source: SettingSource; secret: boolean };

/** Values whose default depends on others, or which Portico resolves (a path made absolute). */
const EFFECTIVE: Record<string, (c: Config, s: Settings) => string> = {
  PORTICO_DATA_DIR: (c) => c.dataDir,
  PORTICO_DATABASE_URL: (c) => c.databaseUrl,
  PORTICO_PUBLIC_URL: (c) => c.publicUrl,
  PORTICO_OAUTH_REDIRECT_URL: (c) => c.oauthRedirectUrl,
  PORTICO_ENCRYPTION_KEYS: (c, s) =>
    s.values.PORTICO_ENCRYPTION_KEYS_FILE && c.encryptionKeys
      ? `${maskSetting("PORTICO_ENCRYPTION_KEYS", c.encryptionKeys)} (from PORTICO_ENCRYPTION_KEYS_FILE)`
      : (c.encryptionKeys ?? `(none: the keyring file ${path.join(c.dataDir, "keyring")})`),
  PORTICO_ENV_FILE: (_c, s) => s.file ?? "(none)",
};

/**
 * Settings whose values are secrets, by name: shown as ******** (the keyring with its key ids).
 * HEADERS: exporters' headers (OTLP and the like) carry API keys. A setting holding a URL shows
 * it with any password masked, whatever its name.
 */
const SECRET = /(KEYS|SECRET|PASSWORD|TOKEN|HEADERS)$/;

/** A value with its secret parts masked: passwords in URLs, keys (key ids kept), whole secrets. */
export function maskSetting(name: string, value: string): string {
  if (name === "PORTICO_ENCRYPTION_KEYS")
    return value.replace(/([A-Za-z0-9_-]+):[A-Za-z0-9+/=]+/g, "$1:********");
  if (SECRET.test(name)) return value ? "********" : value;
  return value
    .replace(/(\/\/[^/:@\s]*:)[^@/\s]+@/g, "$1********@")
    .replace(/(password=)[^&\s]+/gi, "$1********");
}

/**
 * The effective configuration, as `portico config` prints it: every setting with the value
 * Portico uses (defaults resolved) and where it came from, secrets masked.
 */
export function effectiveSettings(settings: Settings = readSettings()): EffectiveSetting[] {
  let config: Config;
  try {
    config = loadConfig(settings.values);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(err.problems.map((p) => `${p}${fromFile(settings, p.split(":")[0]!)}`));
  }
  const parsed = envSchema.parse(settings.values) as Record<string, unknown>;
  return SETTING_NAMES.map((name) => {
    const own = EFFECTIVE[name];
    const v = own ? own(config, settings) : parsed[name];
    const value = v === undefined ? "(not set)" : String(v);
    return {
      name,
      value: maskSetting(name, value),
      source: settings.sources.get(name) ?? { kind: "default" },
      secret: SECRET.test(name) || value !== maskSetting(name, value),
    };
  });
}
