import { context, ROOT_CONTEXT, type Span, SpanKind, trace } from "@opentelemetry/api";
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { INTERNAL_CALLER } from "../http/rate-limit-hooks.js";
import type { Metrics } from "./metrics.js";
import { failed } from "./span-status.js";
import { spanTime, type Tracing } from "./tracing.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The request's server span, when traces are on. */
    [SERVER_SPAN]?: Span;
  }
}

const SERVER_SPAN = Symbol("portico.serverSpan");

/** The route label of a request no route matched (a 404 before any handler). */
export const UNMATCHED = "unmatched";

/**
 * Probes a load balancer or orchestrator sends every few seconds: counted, not traced (a trace
 * each would drown the ones that matter).
 */
const UNTRACED = new Set(["/healthz", "/readyz"]);

/**
 * Requests as metrics (count and duration by method, route template and status) and, with traces
 * on, as server spans named by their route, children of an incoming `traceparent`. Labels and
 * attributes take the route's template (`/accounts/:id`), never the path that was asked.
 * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-server
 */
export function instrumentHttp(app: FastifyInstance, metrics: Metrics | null, tracing: Tracing | null): void {
  if (tracing) {
    app.decorateRequest(SERVER_SPAN, undefined);
    app.addHook(
      "onRequest",
      (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
        const route = request.routeOptions.url;
        if (route !== undefined && UNTRACED.has(route)) return done();
        // The sandbox's providers answer in-process (app.inject under a provider call's span): their
        // requests are children of that call. Any other request starts from nothing but its headers.
        const internal = request.raw.socket?.remoteAddress === INTERNAL_CALLER;
        const parent = tracing.extract(request.headers, internal ? context.active() : ROOT_CONTEXT);
        const span = tracing.tracer.startSpan(
          route ? `${request.method} ${route}` : request.method,
          {
            kind: SpanKind.SERVER,
            attributes: {
              "http.request.method": request.method,
              ...(route ? { "http.route": route } : {}),
              "url.scheme": request.protocol,
              "network.protocol.version": request.raw.httpVersion,
            },
            startTime: spanTime(),
          },
          parent,
        );
        request[SERVER_SPAN] = span;
        // Everything after this hook (handlers, database statements, provider calls) runs in it.
        context.with(trace.setSpan(parent, span), done);
      },
    );
  }
  const count = metrics ? metrics.count.bind(metrics) : null;
  const observe = metrics ? metrics.observe.bind(metrics) : null;
  app.addHook("onResponse", (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const status = reply.statusCode;
    if (count && observe) {
      const method = request.method;
      const route = request.routeOptions.url ?? UNMATCHED;
      count("portico_http_requests_total", { method, route, status: String(status) }, 1);
      observe("portico_http_request_duration_seconds", reply.elapsedTime / 1000, { method, route });
    }
    const span = request[SERVER_SPAN];
    if (span) {
      span.setAttribute("http.response.status_code", status);
      if (status >= 500) failed(span, String(status));
      span.end(spanTime());
    }
    done();
  });
}
