import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { PorticoError } from "../errors.js";
import { type RouteScope, scopeAllows } from "../tenancy/scopes.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The API-key scopes, besides `full`, that may call this route (tenancy/scopes.ts). Every route
     * of the API declares it; `[]` is full keys only.
     */
    scopes?: readonly RouteScope[];
  }
}

const isRead = (method: string | string[]) =>
  (Array.isArray(method) ? method : [method]).every((m) => m === "GET" || m === "HEAD");

/**
 * The one place API-key scopes are enforced, from each route's declaration. Registered on the API
 * after the API-key hook, so `request.principal` is known. A route that declares nothing would be
 * open to no scoped key by accident: it stops the start instead, as does `read` on a route that
 * changes something (read keys are GET-only by definition).
 */
export function registerScopeCheck(api: FastifyInstance): void {
  api.addHook("onRoute", (route) => {
    const scopes = route.config?.scopes;
    if (!scopes)
      throw new Error(`${route.method} ${route.url}: declare config.scopes (tenancy/scopes.ts) for API keys`);
    if (scopes.includes("read") && !isRead(route.method))
      throw new Error(`${route.method} ${route.url}: only GET routes may be open to read keys`);
  });
  api.addHook(
    "onRequest",
    function checkScope(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
      const held = request.principal?.scopes;
      const route = request.routeOptions.config?.scopes ?? [];
      if (!held || scopeAllows(held, route)) return done();
      const needs = [...route, "full"].join(" or ");
      done(
        new PorticoError(
          "FORBIDDEN",
          `this API key has scope ${held.join(",")}; ${request.method} ${request.routeOptions.url ?? request.url} needs scope ${needs}`,
        ),
      );
    },
  );
}
