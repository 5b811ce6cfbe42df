import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, RouteOptions } from "fastify";
import type { HistoryService } from "./service.js";

/**
 * What the proxy adds to its request's log record: the provider call. Filled as the call goes,
 * so a failure part-way still says how far it got. Never a query string, header or body.
 */
export type ProxiedCall = {
  account_id: string;
  method: string;
  path: string;
  provider: string | null;
  url: string | null;
  status: number | null;
  error: string | null;
  /** Each attempt when the proxy retried (one step each in the request log). */
  steps?: ProviderStep[];
};

/** One attempt of a proxied call: the provider's status (null: no answer), when and how long. */
export type ProviderStep = { status: number | null; started_at: number; duration_ms: number };

declare module "fastify" {
  interface FastifyRequest {
    proxied?: ProxiedCall;
  }
}

const MAX_PATH = 1024;

/** A path without its query string or fragment, bounded. */
export const bare = (path: string): string => {
  const q = path.indexOf("?");
  const h = path.indexOf("#");
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return (end === -1 ? path : path.slice(0, end)).slice(0, MAX_PATH);
};

/** Starts the provider-call part of a proxied request's log record. */
export function proxiedCall(request: FastifyRequest, accountId: string, method: string, path: string) {
  const call: ProxiedCall = {
    account_id: accountId,
    method,
    path: bare(path),
    provider: null,
    url: null,
    status: null,
    error: null,
  };
  request.proxied = call;
  return call;
}

/** The API area of a route: `/unified/proxy` -> proxy, `/portico/v1/webhooks/:id` -> webhooks. */
const services = new Map<string, string>();
function serviceOf(route: string): string {
  let s = services.get(route);
  if (s === undefined) {
    const segment = route.replace(/^\/(portico\/v1|unified)(?=\/)/, "").split("/")[1] ?? "";
    s = segment === "requests" ? "request_logs" : segment;
    if (services.size < 1000) services.set(route, s);
  }
  return s;
}

/**
 * onRoute hook of the API: each route gets an onResponse hook of its own that records its calls,
 * one small record per call with a caller, pushed into the history's buffer unless
 * PORTICO_REQUEST_LOG leaves the call out; a call answered 429 is counted per key and minute
 * instead (HistoryService.recordRefused). The route's pattern and service are bound once, not read
 * on every request. The hook runs after the response is sent and never waits for anything. The
 * record's id is the request's own (`genReqId`, made as it started), which is also the id in
 * Portico's log lines about it.
 */
export function requestLogHook(history: HistoryService) {
  return (routeOptions: RouteOptions) => {
    const route = routeOptions.url;
    const service = serviceOf(route);
    const accountRoute = route.startsWith("/accounts/:id") || route.startsWith("/portico/v1/accounts/:id");
    const logRequest = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
      const principal = request.principal;
      if (principal && reply.statusCode === 429) {
        // Counted per key and minute, never a row each: see HistoryService.recordRefused.
        history.recordRefused(principal.projectId, principal.keyId);
      } else if (principal && history.keeps(reply.statusCode)) {
        const duration = reply.elapsedTime;
        const call = request.proxied;
        const id = accountRoute ? (request.params as { id?: unknown }).id : undefined;
        history.recordRequest({
          id: request.id,
          project_id: principal.projectId,
          duration_ms: Math.round(duration),
          method: request.method,
          service,
          route,
          path: bare(request.url),
          status: reply.statusCode,
          key_id: principal.keyId,
          key_prefix: principal.keyPrefix,
          account_id: call?.account_id ?? (typeof id === "string" ? id.slice(0, 255) : null),
          provider: call?.provider ?? null,
          provider_method: call?.method ?? null,
          provider_path: call?.path ?? null,
          provider_url: call?.url ?? null,
          provider_status: call?.status ?? null,
          error: call?.error ?? null,
          provider_steps: call?.steps && call.steps.length > 1 ? JSON.stringify(call.steps) : null,
        });
      }
      done();
    };
    const own = routeOptions.onResponse;
    routeOptions.onResponse = own ? [...(Array.isArray(own) ? own : [own]), logRequest] : [logRequest];
  };
}
