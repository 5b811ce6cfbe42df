import type { FastifyInstance } from "fastify";
import type { QueryObserver } from "../db/database.js";
import type { CounterLabels, CounterName, HistogramLabels, HistogramName } from "./schemas.js";

/**
 * What the rest of Portico sees of metrics and traces: count, observe, span. Only this slice
 * imports prom-client and OpenTelemetry. Until `serve` installs the real thing (metrics on by
 * default, traces when the OTEL_* variables ask), every call is a no-op: the CLI, the tests that
 * build an app in-process and a server with both turned off pay nothing but the call.
 *
 * Attributes are set by Portico's own code from known, non-secret values (a provider key, a host
 * name, a status): never a credential, token, key, query string or body.
 */

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue | undefined>;

/** The span a `span()` callback runs in. */
export interface SpanScope {
  set(attributes: Attributes): void;
  /** Marks the span failed without a throw (a provider's 5xx), by kind: `error.type`. */
  fail(type: string): void;
}

export type SpanKind = "internal" | "client";

export type { QueryObserver };

export interface Telemetry {
  /** Whether spans are recorded; false: `span` just runs its callback. */
  readonly tracing: boolean;
  count<N extends CounterName>(name: N, labels?: CounterLabels<N>, by?: number): void;
  observe<N extends HistogramName>(name: N, value: number, labels?: HistogramLabels<N>): void;
  /**
   * Runs `fn` in a span of its own, a child of the span in progress (a request's, a job's). A
   * throw ends it as an error, recorded by its kind (`error.type`), never by its message.
   */
  span<T>(
    name: string,
    attributes: Attributes,
    fn: (span: SpanScope) => Promise<T>,
    kind?: SpanKind,
  ): Promise<T>;
  /** Adds attributes to the span in progress, if there is one. */
  annotate(attributes: Attributes): void;
  /** The statement observer for a database of this dialect, or undefined when nothing listens. */
  queryObserver(dialect: "sqlite" | "postgres"): QueryObserver | undefined;
  /** Adds the request metrics and server spans to an app (before its routes). */
  instrumentHttp(app: FastifyInstance): void;
}

const NOOP_SCOPE: SpanScope = { set() {}, fail() {} };

export const NOOP_TELEMETRY: Telemetry = {
  tracing: false,
  count() {},
  observe() {},
  span: (_name, _attributes, fn) => fn(NOOP_SCOPE),
  annotate() {},
  queryObserver: () => undefined,
  instrumentHttp() {},
};

let current: Telemetry = NOOP_TELEMETRY;

/** The process's telemetry: what `serve` installed, else no-ops. */
export const telemetry: Telemetry = {
  get tracing() {
    return current.tracing;
  },
  count: (name, labels, by) => current.count(name, labels, by),
  observe: (name, value, labels) => current.observe(name, value, labels),
  span: (name, attributes, fn, kind) => current.span(name, attributes, fn, kind),
  annotate: (attributes) => current.annotate(attributes),
  queryObserver: (dialect) => current.queryObserver(dialect),
  instrumentHttp: (app) => current.instrumentHttp(app),
};

/** Installs the process's telemetry (one per process: `serve` does it once); returns the previous one. */
export function installTelemetry(next: Telemetry): Telemetry {
  const previous = current;
  current = next;
  return previous;
}

export { NOOP_SCOPE };
