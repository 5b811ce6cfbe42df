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

type Labels = Record<string, string>;
type Value = { labels: Labels; value: number; metricName?: string };
type Snapshot = {
  name: string;
  help: string;
  type: "counter" | "histogram";
  aggregator: "sum";
  values: Value[];
};

/** One cell per label set, found by the label values joined (label names are fixed per series). */
const SEPARATOR = "\u0001";
function keyOf(labels: Labels | undefined, names: readonly string[]): string {
  if (!labels || names.length === 0) return "";
  let key = labels[names[0]!] ?? "";
  for (let i = 1; i < names.length; i++) key += SEPARATOR + (labels[names[i]!] ?? "");
  return key;
}

/**
 * Portico's counters on the request path. prom-client's own validate and hash their labels on
 * every increment, and a histogram keys its buckets by the bound as a string: 1.5 µs of a request
 * and 0.5 µs of every statement in a micro-benchmark, a few per cent of a session create. These
 * keep plain numbers per label set and hand prom-client's registry the same values at scrape time
 * (its exposition, aggregation across processes and default metrics are kept).
 */
class FastCounter {
  readonly type = "counter";
  readonly aggregator = "sum";
  private readonly cells = new Map<string, Value>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
  ) {}

  inc(labels: Labels | undefined, by: number): void {
    const key = keyOf(labels, this.labelNames);
    const cell = this.cells.get(key);
    if (cell) cell.value += by;
    else this.cells.set(key, { labels: labels ? { ...labels } : {}, value: by });
  }

  async get(): Promise<Snapshot> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...this.cells.values()].map((c) => ({ labels: c.labels, value: c.value })),
    };
  }

  reset(): void {
    this.cells.clear();
  }
}

type HistogramCell = { labels: Labels; counts: Float64Array; sum: number; count: number };

class FastHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly cells = new Map<string, HistogramCell>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {}

  observe(labels: Labels | undefined, value: number): void {
    const key = keyOf(labels, this.labelNames);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        labels: labels ? { ...labels } : {},
        counts: new Float64Array(this.bounds.length),
        sum: 0,
        count: 0,
      };
      this.cells.set(key, cell);
    }
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]!) {
        cell.counts[i]!++;
        break;
      }
    }
    cell.sum += value;
    cell.count++;
  }

  async get(): Promise<Snapshot> {
    const values: Value[] = [];
    for (const cell of this.cells.values()) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += cell.counts[i]!;
        values.push({
          labels: { le: String(this.bounds[i]), ...cell.labels },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({
        labels: { le: "+Inf", ...cell.labels },
        value: cell.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: cell.labels, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: cell.labels, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.cells.clear();
  }
}

/**
 * The process's Prometheus registry: Portico's series from schemas.ts and Node's own (event-loop
 * lag, heap, GC, CPU, memory, handles), in a registry of its own rather than prom-client's global
 * one, so nothing else in the process can add to or reset it.
 */
export class Metrics {
  readonly registry = new client.Registry();
  private readonly counters = new Map<string, FastCounter>();
  private readonly histograms = new Map<string, FastHistogram>();
  private readonly gauges = new Map<string, client.Gauge>();

  constructor() {
    for (const [name, def] of Object.entries(COUNTERS)) {
      const counter = new FastCounter(name, def.help, def.labels);
      if (def.labels.length === 0) counter.inc(undefined, 0);
      for (const labels of "initial" in def ? def.initial : []) counter.inc(labels, 0);
      this.counters.set(name, counter);
      this.registry.registerMetric(counter as unknown as client.Metric);
    }
    for (const [name, def] of Object.entries(HISTOGRAMS)) {
      const histogram = new FastHistogram(name, def.help, def.labels, def.buckets);
      this.histograms.set(name, histogram);
      this.registry.registerMetric(histogram as unknown as client.Metric);
    }
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

  count(name: CounterName, labels: Labels | undefined, by = 1): void {
    this.counters.get(name)!.inc(labels, by);
  }

  observe(name: HistogramName, value: number, labels: Labels | undefined): void {
    this.histograms.get(name)!.observe(labels, value);
  }

  gauge(name: GaugeName): client.Gauge {
    return this.gauges.get(name)!;
  }

  /** Runs `collect` before each scrape of the gauge. */
  collect(name: GaugeName, collect: (gauge: client.Gauge) => Promise<void> | void): void {
    const gauge = this.gauge(name);
    // prom-client calls a metric's `collect` before reading it.
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
