import http from "node:http";
import net from "node:net";
import type { FastifyServerFactory } from "fastify";
import type { Config } from "../config.js";
import { ERRORS, errorBody } from "../errors.js";
import { MAX_HEADER_BYTES } from "./client-errors.js";

export type ServingState = "serving" | "draining" | "closing";

/**
 * Where the HTTP server stands in a graceful shutdown, and the Node server that acts on it:
 * - serving: as usual;
 * - draining: `/readyz` answers 503 so load balancers stop sending traffic here, while every
 *   request is still served, with `Connection: close` so keep-alive clients reconnect elsewhere;
 * - closing: the listener is closed and in-flight requests finish; a request that still arrives on
 *   an open connection gets StackOne's 503 body with `Connection: close` (not Fastify's).
 * The check is one comparison per request, before Fastify sees it.
 */
export class Lifecycle {
  state: ServingState = "serving";
  private server: http.Server | null = null;

  /**
   * Enters `closing`: stops accepting connections but leaves open ones alone for `graceMs`, so a
   * client that connected a moment ago gets its request read and answered (503) rather than reset.
   * Node's own close (Fastify's, next) then ends the connections still idle and waits for the rest.
   */
  async stopAccepting(graceMs: number): Promise<void> {
    this.state = "closing";
    if (this.server?.listening) net.Server.prototype.close.call(this.server);
    await new Promise((r) => setTimeout(r, graceMs));
  }

  /** Fastify's serverFactory: Node's HTTP server with Portico's size and time limits. */
  serverFactory(config: Config): FastifyServerFactory {
    const t = config.httpTimeouts;
    return (handler) => {
      const server = http.createServer(
        {
          maxHeaderSize: MAX_HEADER_BYTES,
          requestTimeout: t.requestMs,
          headersTimeout: t.headersMs,
          // Node checks both timeouts on this period (30 s by default, far too coarse).
          connectionsCheckingInterval: Math.min(1000, Math.ceil(t.headersMs / 4)),
        },
        (req, res) => {
          if (this.state === "serving") return handler(req, res);
          if (this.state === "draining") {
            res.setHeader("connection", "close");
            return handler(req, res);
          }
          const body = JSON.stringify(errorBody(ERRORS.SHUTTING_DOWN.status, ERRORS.SHUTTING_DOWN.message));
          res.writeHead(ERRORS.SHUTTING_DOWN.status, {
            "content-type": "application/json; charset=utf-8",
            "content-length": Buffer.byteLength(body),
            "retry-after": "1",
            connection: "close",
          });
          res.end(body);
        },
      );
      // An idle keep-alive connection is closed after this.
      server.keepAliveTimeout = t.keepAliveMs;
      this.server = server;
      return server;
    };
  }
}
