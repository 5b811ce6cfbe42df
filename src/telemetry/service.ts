import cluster from "node:cluster";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Context } from "../context.js";
import { databaseUnready } from "../http/readiness.js";
import { answerMetricRequests, ClusterMetrics } from "./cluster.js";
import { instrumentHttp } from "./http-hooks.js";
import { Metrics } from "./metrics.js";
import { listenMetrics, type MetricsListener } from "./routes.js";
import { ACCOUNTS_REFRESH_MS, type CounterName, type HistogramName, WEBHOOKS_REFRESH_MS } from "./schemas.js";
import {
  type Attributes,
  installTelemetry,
  NOOP_SCOPE,
  type QueryObserver,
  type SpanKind,
  type SpanScope,
  type Telemetry,
} from "./telemetry.js";
import type { Tracing } from "./tracing.js";

/** How long a scrape waits for a gauge being recomputed before it answers with the last values. */
const GAUGE_WAIT_MS = 2500;
/** After a failed recomputation, when to try again. */
const GAUGE_RETRY_MS = 5000;

/**
 * A value read from the database at most every `maxAgeMs`, one read at a time. A scrape waits a
 * little for a read in progress and otherwise answers with the last value (a slow count must not
 * time the scrape out); a read that fails keeps the last value and is tried again soon.
 */
class Refreshing<T> {
  private value: T | undefined;
  private due = 0;
  private running: Promise<void> | null = null;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly onError: (err: Error) => void,
  ) {}

  async get(): Promise<T | undefined> {
    if (!this.running && Date.now() >= this.due) {
      this.running = this.read()
        .then(
          (v) => {
            this.value = v;
            this.due = Date.now() + this.maxAgeMs;
          },
          (err: Error) => {
            this.due = Date.now() + GAUGE_RETRY_MS;
            this.onError(err);
          },
        )
        .finally(() => {
          this.running = null;
        });
    }
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise((r) => (timer = setTimeout(r, GAUGE_WAIT_MS)))]);
      clearTimeout(timer);
    }
    return this.value;
  }
}

/**
 * The telemetry `serve` installs: Prometheus metrics unless PORTICO_METRICS_PORT is 0, traces when
 * the OTEL_* variables name an endpoint. With both off it is not installed at all.
 */
export class TelemetryService implements Telemetry {
  readonly metrics: Metrics | null;
  readonly traces: Tracing | null;
  private listener: MetricsListener | null = null;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
    traces: Tracing | null = null,
  ) {
    this.metrics = config.metrics ? new Metrics() : null;
    this.traces = traces;
  }

  get tracing(): boolean {
    return this.traces !== null;
  }

  count(name: CounterName, labels?: Record<string, string>, by = 1): void {
    this.metrics?.count(name, labels, by);
  }

  observe(name: HistogramName, value: number, labels?: Record<string, string>): void {
    this.metrics?.observe(name, value, labels);
  }

  span<T>(
    name: string,
    attributes: Attributes,
    fn: (span: SpanScope) => Promise<T>,
    kind?: SpanKind,
  ): Promise<T> {
    return this.traces ? this.traces.span(name, attributes, fn, kind) : fn(NOOP_SCOPE);
  }

  annotate(attributes: Attributes): void {
    this.traces?.annotate(attributes);
  }

  queryObserver(dialect: "sqlite" | "postgres"): QueryObserver | undefined {
    const metrics = this.metrics;
    const spans = this.traces?.queryObserver(dialect);
    if (!metrics) return spans;
    return (sql, startedAt, failed) => {
      metrics.observe(
        "portico_database_query_duration_seconds",
        (performance.now() - startedAt) / 1000,
        undefined,
      );
      spans?.(sql, startedAt, failed);
    };
  }

  instrumentHttp(app: FastifyInstance): void {
    instrumentHttp(app, this.metrics, this.traces);
  }

  /**
   * The gauges read from the running service: whether the database answers and its pool (every
   * process), and the accounts and webhook backlog, which read every project's rows and are left
   * to the process that runs the background jobs (PORTICO_WORKERS; with `--processes`, one worker
   * of the node), so a node reads them once.
   */
  watch(ctx: Context): void {
    const metrics = this.metrics;
    if (!metrics) return;
    const warn = (what: string) => (err: Error) =>
      this.logger.warn(
        { err: err.message },
        `metrics: could not read ${what}; the gauge keeps its last value`,
      );
    metrics.collect("portico_database_up", async (g) => {
      g.set((await databaseUnready(ctx.database, ctx.config.readyzTimeoutMs)) === null ? 1 : 0);
    });
    const pool = ctx.database.pool;
    if (pool) {
      metrics.collect("portico_database_pool_connections", (g) => {
        const p = pool();
        g.set({ state: "in_use" }, p.total - p.idle);
        g.set({ state: "idle" }, p.idle);
      });
      metrics.collect("portico_database_pool_waiting_requests", (g) => g.set(pool().waiting));
      metrics.collect("portico_database_pool_max_connections", (g) => g.set(pool().max));
    }
    if (!ctx.config.workers) return;
    const accounts = new Refreshing(
      () => ctx.accounts.countByStatusAndProvider(),
      ACCOUNTS_REFRESH_MS,
      warn("the accounts"),
    );
    metrics.collect("portico_accounts", async (g) => {
      const rows = await accounts.get();
      if (!rows) return;
      g.reset();
      for (const r of rows) g.set({ status: r.status, provider: r.provider }, r.count);
    });
    const backlog = new Refreshing(
      () => ctx.webhooks.backlog(),
      WEBHOOKS_REFRESH_MS,
      warn("the webhook backlog"),
    );
    metrics.collect("portico_webhook_backlog", async (g) => {
      const b = await backlog.get();
      if (b) g.set(b.pending);
    });
    metrics.collect("portico_webhook_oldest_pending_seconds", async (g) => {
      const b = await backlog.get();
      if (b) g.set(b.oldestDueAt === null ? 0 : Math.max(0, (Date.now() - b.oldestDueAt) / 1000));
    });
  }

  /**
   * Serves `/metrics` (a lone process), or hands this process's registry to the primary on request
   * (a worker of `serve --processes N`, whose primary serves the node's).
   */
  async listen(): Promise<void> {
    const metrics = this.metrics;
    if (!metrics || !this.config.metrics) return;
    if (cluster.isWorker) {
      answerMetricRequests(metrics);
      return;
    }
    this.listener = await listenMetrics(
      this.config.metrics,
      () => metrics.text(),
      metrics.contentType,
      this.logger,
    );
    this.logger.info({ metrics_url: this.listener.url }, "Prometheus metrics listening");
  }

  /** Stops the listener and sends the spans still buffered. */
  async close(): Promise<void> {
    await this.listener?.close();
    this.listener = null;
    await this.traces?.shutdown().catch(() => {});
  }
}

/**
 * Builds and installs the process's telemetry for `serve`, before the database is opened (its
 * statements are observed from the first). Null when metrics and traces are both off.
 */
export async function startTelemetry(config: Config, logger: Logger): Promise<TelemetryService | null> {
  if (!config.metrics && !config.traces) return null;
  // The OpenTelemetry SDK and its exporters are loaded only when traces are asked for.
  const tracing = config.traces ? new (await import("./tracing.js")).Tracing(config.traces, logger) : null;
  const service = new TelemetryService(config, logger, tracing);
  installTelemetry(service);
  return service;
}

/**
 * The primary of `serve --processes N`: `/metrics` answered with every worker's registry, folded
 * into one (see cluster.ts). Nothing when metrics are off.
 */
export async function listenClusterMetrics(config: Config, logger: Logger): Promise<MetricsListener | null> {
  if (!config.metrics) return null;
  const gather = new ClusterMetrics();
  const listener = await listenMetrics(config.metrics, () => gather.scrape(), Metrics.contentType, logger);
  logger.info({ metrics_url: listener.url }, "Prometheus metrics listening (every worker's, in one scrape)");
  return listener;
}
