import client from "prom-client";
import { VERSION } from "../version.js";
import {
  COUNTERS,
  type CounterName,
  GAUGES,
  type GaugeName,
  HISTOGRAMS,
  type HistogramName,
} from "./schemas.js";

export type MetricsJson = client.MetricObjectWithValues<client.MetricValue<string>>[];

/**
 * The process's Prometheus registry: Portico's series from schemas.ts and Node's own (event-loop
 * lag, heap, GC, CPU, memory, handles), in a registry of its own rather than prom-client's global
 * one, so nothing else in the process can add to or reset it.
 */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly counters = new Map<string, client.Counter>();
  private readonly histograms = new Map<string, client.Histogram>();
  private readonly gauges = new Map<string, client.Gauge>();

  constructor() {
    for (const [name, def] of Object.entries(COUNTERS)) {
      const counter = new client.Counter({
        name,
        help: def.help,
        labelNames: def.labels,
        registers: [this.registry],
      });
      if (def.labels.length === 0) counter.inc(0);
      for (const labels of "initial" in def ? def.initial : []) counter.inc(labels, 0);
      this.counters.set(name, counter);
    }
    for (const [name, def] of Object.entries(HISTOGRAMS))
      this.histograms.set(
        name,
        new client.Histogram({
          name,
          help: def.help,
          labelNames: def.labels,
          buckets: [...def.buckets],
          registers: [this.registry],
        }),
      );
    for (const [name, def] of Object.entries(GAUGES))
      this.gauges.set(
        name,
        new client.Gauge({
          name,
          help: def.help,
          labelNames: def.labels,
          registers: [this.registry],
          aggregator: "aggregate" in def ? def.aggregate : "sum",
        }),
      );
    this.gauge("portico_build_info").set({ version: VERSION }, 1);
    this.gauge("portico_processes").set(1);
    client.collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters (promtool refuses them), and sums of the per-type gauges
    // nodejs_active_handles, nodejs_active_requests and nodejs_active_resources that stay.
    for (const name of [
      "nodejs_active_handles_total",
      "nodejs_active_requests_total",
      "nodejs_active_resources_total",
    ])
      this.registry.removeSingleMetric(name);
  }

  count(name: CounterName, labels: Record<string, string> | undefined, by = 1): void {
    const counter = this.counters.get(name)!;
    if (labels) counter.inc(labels, by);
    else counter.inc(by);
  }

  observe(name: HistogramName, value: number, labels: Record<string, string> | undefined): void {
    const histogram = this.histograms.get(name)!;
    if (labels) histogram.observe(labels, value);
    else histogram.observe(value);
  }

  gauge(name: GaugeName): client.Gauge {
    return this.gauges.get(name)!;
  }

  /** Runs `collect` before each scrape of the gauge (after the previous one's values are cleared). */
  collect(name: GaugeName, collect: (gauge: client.Gauge) => Promise<void> | void): void {
    const gauge = this.gauge(name);
    // prom-client calls a metric's `collect` with the metric as `this`; values of a label set
    // that is gone (a provider with no accounts left) must not linger.
    (gauge as unknown as { collect: () => Promise<void> }).collect = async () => {
      await collect(gauge);
    };
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** What a worker of `serve --processes N` hands the primary. */
  json(): Promise<MetricsJson> {
    return this.registry.getMetricsAsJSON() as Promise<MetricsJson>;
  }

  /** The node's answer: every process's series folded by each series' aggregator. */
  static aggregate(all: MetricsJson[]): Promise<string> {
    return client.AggregatorRegistry.aggregate(all as never).metrics();
  }

  static readonly contentType = client.Registry.PROMETHEUS_CONTENT_TYPE;
}
