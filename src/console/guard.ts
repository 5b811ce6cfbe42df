import type { FastifyReply, FastifyRequest, RouteOptions } from "fastify";
import { PorticoError } from "../errors.js";
import type { TenancyService } from "../tenancy/service.js";
import type { ConsoleAuth, ConsoleSession } from "./auth.js";
import { COOKIE_NAME, readCookie, sessionCookie } from "./cookie.js";
import { type ConsoleRole, roleAtLeast } from "./roles.js";

declare module "fastify" {
  interface FastifyRequest {
    consoleSession: ConsoleSession;
  }
}

const SAFE = new Set(["GET", "HEAD"]);

/**
 * Refuses a request that comes from another origin: a change must carry an `Origin` equal to
 * Portico's public origin (browsers always send it on non-GET requests), and a read that says
 * where it comes from (`Origin`, `Sec-Fetch-Site`) must say this origin. With SameSite=Strict
 * cookies this is the console's defence against cross-site request forgery.
 */
export function checkOrigin(request: FastifyRequest, expected: string): void {
  const origin = request.headers.origin;
  const site = request.headers["sec-fetch-site"];
  if (!SAFE.has(request.method)) {
    if (origin !== expected)
      throw new PorticoError("FORBIDDEN", `origin: console changes are accepted from ${expected} only`);
    return;
  }
  if (
    (origin !== undefined && origin !== expected) ||
    (site !== undefined && site !== "same-origin" && site !== "none")
  )
    throw new PorticoError("FORBIDDEN", `origin: console requests are accepted from ${expected} only`);
}

/**
 * onRoute hook of the console API: every route must declare the least role it needs (`role` in
 * its options); it is kept in the route's config, where the guard reads it. A route without one
 * stops Portico at start rather than being open to every role.
 */
export function declareRole(route: RouteOptions): void {
  const role = (route as RouteOptions & { role?: unknown }).role;
  if (role === undefined && !route.config?.consoleRole)
    throw new Error(
      `console route ${route.method} ${route.url} declares no role (add role: "viewer" | "admin" | "owner")`,
    );
  if (role === undefined) return;
  const need = role as ConsoleRole;
  route.config = { ...(route.config ?? {}), consoleRole: need };
  // Said in the OpenAPI document too, beside what the route does.
  if (route.schema) {
    const said = ROLE_SAID[need];
    const description = (route.schema as { description?: string }).description;
    route.schema = {
      ...route.schema,
      description: description ? `${description}\n\n${said}` : said,
    } as typeof route.schema;
  }
}

const ROLE_SAID: Record<ConsoleRole, string> = {
  viewer: "Role: any signed-in operator (viewer, admin or owner).",
  admin: "Role: admin or owner; a viewer gets a 403.",
  owner: "Role: owner; a viewer or an admin gets a 403.",
};

/**
 * onRequest hook of the console API: origin first, then the session cookie, then the role the
 * route declares. A refusal names the role needed.
 */
export function consoleGuard(auth: ConsoleAuth, expectedOrigin: string, secure: boolean) {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    checkOrigin(request, expectedOrigin);
    const token = readCookie(request.headers.cookie, COOKIE_NAME);
    const session = await auth.authenticate(token);
    if (!session) {
      if (token) reply.header("set-cookie", sessionCookie("", { secure, maxAgeSeconds: 0 }));
      throw new PorticoError("UNAUTHORIZED", "console: sign in first");
    }
    request.consoleSession = session;
    reply.header("cache-control", "no-store");
    const need = request.routeOptions.config.consoleRole;
    if (!need || !roleAtLeast(session.role, need))
      throw new PorticoError(
        "FORBIDDEN",
        `role: this needs the ${need ?? "owner"} role; ${session.operator} is ${session.role === "admin" ? "an" : "a"} ${session.role}`,
      );
  };
}

/**
 * preHandler hook of the console API: a project or organization in the path must be one the
 * session sees (its organization's, or any for a break-glass session over every organization).
 * Others are answered as not found, as if they did not exist.
 */
export function organizationScope(tenancy: TenancyService) {
  return async function scope(request: FastifyRequest): Promise<void> {
    const mine = request.consoleSession?.organizationId;
    const params = request.params as { projectId?: string; organizationId?: number | string };
    if (mine === null || mine === undefined) {
      // Every organization's session: an organization in the path must still exist.
      if (params.organizationId !== undefined) await tenancy.organization(Number(params.organizationId));
      return;
    }
    if (params.organizationId !== undefined && Number(params.organizationId) !== mine)
      throw new PorticoError("NOT_FOUND", `organization: ${params.organizationId} not found`);
    if (params.projectId !== undefined) {
      const project = await tenancy.getProject(params.projectId);
      if (!project || project.organization_id !== mine)
        throw new PorticoError("NOT_FOUND", `project ${params.projectId} not found`);
    }
  };
}
