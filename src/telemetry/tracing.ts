import { randomUUID } from "node:crypto";
import {
  type Context,
  context,
  defaultTextMapGetter,
  type HrTime,
  SpanKind,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { hrTime, setGlobalErrorHandler, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtobufExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { defaultResource, resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { Logger } from "pino";
import type { TracesConfig } from "../config.js";
import { VERSION } from "../version.js";
import { failed } from "./span-status.js";
import type { Attributes, SpanKind as PorticoSpanKind, QueryObserver, SpanScope } from "./telemetry.js";

/**
 * A span time on one clock for every span: the process's time origin plus its monotonic clock.
 * Left to itself the SDK anchors each span on `Date.now()` when the span starts, a millisecond
 * clock, so a child could appear to end up to a millisecond after its parent.
 */
export function spanTime(performanceNow: number = performance.now()): HrTime {
  return hrTime(performanceNow);
}

/** The standard's samplers by their OTEL_TRACES_SAMPLER names. */
function sampler(config: TracesConfig): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.samplerRatio);
  switch (config.sampler) {
    case "always_on":
      return new AlwaysOnSampler();
    case "always_off":
      return new AlwaysOffSampler();
    case "traceidratio":
      return ratio;
    case "parentbased_always_off":
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case "parentbased_traceidratio":
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/** Drops unset attributes (OpenTelemetry refuses undefined values one by one, with a warning). */
function defined(attributes: Attributes): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const k in attributes) {
    const v = attributes[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}

const CODE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * What went wrong, as a kind: an error's code (`BAD_GATEWAY`, `invalid_grant`, `ECONNREFUSED`) or
 * its class name. Never its message: a provider's error text can carry anything.
 */
export function errorType(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && CODE.test(code)) return code;
  const name = (err as { name?: unknown } | null)?.name;
  return typeof name === "string" && CODE.test(name) ? name : "Error";
}

/** `select ... from "accounts"` -> select, accounts: a span's name without any of its values. */
function summarize(sql: string): { operation: string; collection: string | undefined } {
  const head = /^\s*\(?\s*([a-z]+)/i.exec(sql);
  const operation = (head?.[1] ?? "query").toLowerCase();
  const table = /\b(?:from|into|update|join)\s+"?([a-z_][a-z0-9_]*)"?/i.exec(sql);
  return { operation, collection: table?.[1] };
}

const SUMMARY_CACHE_MAX = 2000;

/**
 * OpenTelemetry traces exported over OTLP/HTTP (protobuf or JSON) by a batch processor. Spans
 * follow the semantic conventions: a server span per request (see http-hooks.ts), client spans
 * for database statements and provider calls, internal spans for jobs.
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/
 * @see https://opentelemetry.io/docs/specs/semconv/database/database-spans/
 */
export class Tracing {
  readonly tracer: Tracer;
  private readonly provider: TracerProvider;
  private readonly propagator = new W3CTraceContextPropagator();
  private readonly summaries = new Map<string, { name: string; attributes: Record<string, string> }>();

  constructor(config: TracesConfig, logger: Logger) {
    // One context manager per process: it carries the span in progress across awaits.
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const options = {
      url: config.url,
      headers: config.headers,
      timeoutMillis: config.timeoutMs,
      compression: config.compression as never,
    };
    const exporter =
      config.protocol === "http/json" ? new JsonExporter(options) : new ProtobufExporter(options);
    this.provider = new TracerProvider({
      resource: defaultResource().merge(
        resourceFromAttributes({
          ...config.resourceAttributes,
          "service.name": config.serviceName,
          "service.version": VERSION,
          "service.instance.id": randomUUID(),
        }),
      ),
      sampler: sampler(config),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter,
          scheduledDelayMillis: config.batch.delayMs,
          exportTimeoutMillis: config.batch.exportTimeoutMs,
          maxQueueSize: config.batch.maxQueueSize,
          maxExportBatchSize: config.batch.maxBatchSize,
        }),
      ],
    });
    this.tracer = this.provider.getTracer("portico", VERSION);
    // A collector that is down loses spans (the batch processor drops them); say so, once a minute.
    const collector = new URL(config.url);
    let last = 0;
    setGlobalErrorHandler((err) => {
      const now = Date.now();
      if (now - last < 60_000) return;
      last = now;
      logger.warn(
        // The collector's URL without any user:password in it.
        {
          err: err instanceof Error ? err.message : String(err),
          collector: `${collector.origin}${collector.pathname}`,
        },
        "trace export failed; spans are being dropped",
      );
    });
  }

  /** The parent an incoming request names (W3C traceparent and tracestate), else `base`. */
  extract(headers: Record<string, string | string[] | undefined>, base: Context): Context {
    if (headers.traceparent === undefined) return base;
    return this.propagator.extract(base, headers, defaultTextMapGetter);
  }

  span<T>(
    name: string,
    attributes: Attributes,
    fn: (span: SpanScope) => Promise<T>,
    kind: PorticoSpanKind = "internal",
  ): Promise<T> {
    const parent = context.active();
    const span = this.tracer.startSpan(
      name,
      {
        kind: kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL,
        attributes: defined(attributes),
        startTime: spanTime(),
      },
      parent,
    );
    const scope: SpanScope = {
      set: (a) => span.setAttributes(defined(a)),
      fail: (type) => failed(span, type),
    };
    return context.with(trace.setSpan(parent, span), async () => {
      try {
        return await fn(scope);
      } catch (err) {
        failed(span, errorType(err));
        throw err;
      } finally {
        span.end(spanTime());
      }
    });
  }

  annotate(attributes: Attributes): void {
    trace.getSpan(context.active())?.setAttributes(defined(attributes));
  }

  /**
   * Database statements as client spans of the span in progress, started when the statement
   * started. A statement outside any span (a background job's poll that found nothing to do) is
   * not traced: it would be a trace of its own, several a second, saying nothing.
   */
  queryObserver(dialect: "sqlite" | "postgres"): QueryObserver {
    const system = dialect === "sqlite" ? "sqlite" : "postgresql";
    return (sql, startedAt, isFailed) => {
      const active = context.active();
      const parent = trace.getSpan(active);
      if (!parent?.isRecording()) return;
      let summary = this.summaries.get(sql);
      if (!summary) {
        const { operation, collection } = summarize(sql);
        summary = {
          name: collection ? `${operation} ${collection}` : operation,
          attributes: {
            "db.system.name": system,
            "db.operation.name": operation,
            ...(collection ? { "db.collection.name": collection } : {}),
          },
        };
        if (this.summaries.size < SUMMARY_CACHE_MAX) this.summaries.set(sql, summary);
      }
      const span = this.tracer.startSpan(
        summary.name,
        { kind: SpanKind.CLIENT, startTime: spanTime(startedAt), attributes: summary.attributes },
        active,
      );
      if (isFailed) failed(span, "db_error");
      span.end(spanTime());
    };
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
