import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from "fastify";
import { PorticoError } from "../errors.js";
import { type RouteScope, scopeAllows } from "../tenancy/scopes.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * The API-key scopes, besides `full`, that may call this route (tenancy/scopes.ts). Every route
     * of the API declares it: `[]` is full keys only; `"any"` is every key, whatever its scope
     * (a route whose answer is the same for all, such as a 501 for an API Portico does not serve).
     */
    scopes?: readonly RouteScope[] | "any";
  }
}

const isRead = (method: string | string[]) =>
  (Array.isArray(method) ? method : [method]).every((m) => m === "GET" || m === "HEAD");

/**
 * API routes registered without a scope declaration, as `METHOD url`. They answer full keys only
 * (a forgotten declaration never opens a route); the test suite keeps this list empty.
 */
export const undeclaredScopes: string[] = [];

/**
 * The one place API-key scopes are enforced, from each route's declaration. Registered on the API
 * after the API-key hook, so `request.principal` is known. `read` on a route that changes
 * something stops the start: read keys are GET-only by definition.
 */
export function registerScopeCheck(api: FastifyInstance): void {
  api.addHook("onRoute", (route) => {
    const scopes = route.config?.scopes;
    const name = `${Array.isArray(route.method) ? route.method.join(",") : route.method} ${route.url}`;
    if (!scopes) {
      if (route.method !== "HEAD" && !undeclaredScopes.includes(name)) undeclaredScopes.push(name);
      return;
    }
    if (scopes !== "any" && scopes.includes("read") && !isRead(route.method))
      throw new Error(`${name}: only GET routes may be open to read keys`);
  });
  api.addHook(
    "onRequest",
    function checkScope(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
      const held = request.principal?.scopes;
      const route = request.routeOptions.config?.scopes ?? [];
      if (!held || route === "any" || scopeAllows(held, route)) return done();
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
