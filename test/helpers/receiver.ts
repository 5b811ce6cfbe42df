import http from "node:http";
import type { AddressInfo } from "node:net";

export type Received = {
  id: string;
  timestamp: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
};

/**
 * A webhook receiver on 127.0.0.1 that records every delivery. It can refuse the first N
 * requests, answer slowly, and notices when the same webhook-id is being delivered twice at once.
 */
export type Receiver = {
  url: string;
  received: Received[];
  /** webhook-ids seen in flight twice at the same time (must stay empty). */
  overlaps: string[];
  refuseNext(n: number, status?: number): void;
  setDelay(ms: number): void;
  uniqueIds(): Set<string>;
  waitFor(pred: (r: Received[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
};

export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const overlaps: string[] = [];
  const inFlight = new Set<string>();
  let refuse = 0;
  let refuseStatus = 503;
  let delay = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const id = String(req.headers["webhook-id"] ?? "");
      if (inFlight.has(id)) overlaps.push(id);
      inFlight.add(id);
      try {
        if (delay) await new Promise((r) => setTimeout(r, delay));
        if (refuse > 0) {
          refuse--;
          res.writeHead(refuseStatus).end("not now");
          return;
        }
        received.push({
          id,
          timestamp: String(req.headers["webhook-timestamp"]),
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          at: Date.now(),
        });
        res.writeHead(204).end();
      } finally {
        inFlight.delete(id);
      }
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    overlaps,
    refuseNext: (n, status = 503) => {
      refuse = n;
      refuseStatus = status;
    },
    setDelay: (ms) => {
      delay = ms;
    },
    uniqueIds: () => new Set(received.map((r) => r.id)),
    waitFor: async (pred, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`receiver timed out with ${received.length} deliveries`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
