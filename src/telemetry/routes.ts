import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";

export type MetricsListener = { url: string; close(): Promise<void> };

export class MetricsListenError extends Error {
  override name = "MetricsListenError";
}

/**
 * `GET /metrics` on a listener of its own (PORTICO_METRICS_HOST:PORTICO_METRICS_PORT), apart
 * from the API so it is never public by accident: by default it answers on 127.0.0.1 only. A
 * plain node:http server: it has one route, and a scrape must not count as an API request.
 */
export async function listenMetrics(
  opts: { host: string; port: number },
  scrape: () => Promise<string>,
  contentType: string,
  logger: Logger,
): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/") {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end("Portico metrics: /metrics\n");
      return;
    }
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found: try /metrics\n");
      return;
    }
    scrape().then(
      (text) => {
        res.writeHead(200, { "content-type": contentType });
        res.end(req.method === "HEAD" ? undefined : text);
      },
      (err: Error) => {
        logger.warn({ err: err.message }, "metrics scrape failed");
        res
          .writeHead(503, { "content-type": "text/plain; charset=utf-8" })
          .end(`scrape failed: ${err.message}\n`);
      },
    );
  });
  // Scrapers keep their connection open between scrapes; it must not hold up a shutdown.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        new MetricsListenError(
          `PORTICO_METRICS_PORT ${opts.port} on ${opts.host}: ${err.code === "EADDRINUSE" ? "already in use" : err.message} (set another port, or 0 to turn metrics off)`,
        ),
      ),
    );
    server.listen(opts.port, opts.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
