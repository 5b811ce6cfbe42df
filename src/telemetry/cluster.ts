import cluster, { type Worker } from "node:cluster";
import { Metrics, type MetricsJson } from "./metrics.js";

/**
 * `serve --processes N`: one scrape covers the node. The primary owns the metrics listener (a
 * worker's would get a random worker's numbers: node:cluster shares one port among them); on each
 * scrape it asks every worker for its registry over the cluster's IPC channel and folds the
 * answers with each series' aggregator (counts add up, see schemas.ts).
 */

const READY = "portico:metrics:ready";
const REQUEST = "portico:metrics:request";
const ANSWER = "portico:metrics:answer";

type Message =
  | { type: typeof READY }
  | { type: typeof REQUEST; id: number }
  | { type: typeof ANSWER; id: number; metrics?: MetricsJson; error?: string };

/** In a worker: answers the primary's requests with this process's registry. */
export function answerMetricRequests(metrics: Metrics): void {
  process.on("message", (m: Message) => {
    if (m?.type !== REQUEST) return;
    metrics.json().then(
      (json) => process.send?.({ type: ANSWER, id: m.id, metrics: json } satisfies Message),
      (err: Error) => process.send?.({ type: ANSWER, id: m.id, error: err.message } satisfies Message),
    );
  });
  // Until a worker says so, it is not asked: a message sent before its listener exists is lost,
  // and the scrape would wait for an answer that never comes.
  process.send?.({ type: READY } satisfies Message);
}

export class ScrapeError extends Error {
  override name = "ScrapeError";
}

/** In the primary: gathers every ready worker's registry into the node's one answer. */
export class ClusterMetrics {
  private readonly ready = new WeakSet<Worker>();
  private readonly waiting = new Map<number, (m: Message & { type: typeof ANSWER }) => void>();
  private next = 0;

  constructor(private readonly timeoutMs = 5000) {
    cluster.on("message", (worker: Worker, m: Message) => {
      if (m?.type === READY) this.ready.add(worker);
      else if (m?.type === ANSWER) this.waiting.get(m.id)?.(m);
    });
  }

  async scrape(): Promise<string> {
    const workers = Object.values(cluster.workers ?? {}).filter(
      (w): w is Worker => !!w && this.ready.has(w) && w.isConnected(),
    );
    const answers = await Promise.all(workers.map((w) => this.ask(w)));
    return Metrics.aggregate(answers);
  }

  /**
   * One worker's registry. A worker that does not answer fails the scrape rather than leaving its
   * counts out: a sum that drops a worker's share reads as a counter reset and a false rate.
   */
  private ask(worker: Worker): Promise<MetricsJson> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const settle = (fn: () => void) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        worker.off("exit", gone);
        fn();
      };
      // A worker that exits meanwhile is simply not there: its counts went with it.
      const gone = () => settle(() => resolve([]));
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new ScrapeError(`worker ${worker.process.pid} did not answer within ${this.timeoutMs} ms`),
            ),
          ),
        this.timeoutMs,
      );
      this.waiting.set(id, (m) =>
        settle(() =>
          m.metrics
            ? resolve(m.metrics)
            : reject(new ScrapeError(`worker ${worker.process.pid}: ${m.error ?? "no metrics"}`)),
        ),
      );
      worker.once("exit", gone);
      worker.send({ type: REQUEST, id } satisfies Message);
    });
  }
}
