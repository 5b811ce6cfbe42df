import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  FastifySchema,
  FastifyTypeProvider,
  FastifyTypeProviderDefault,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerBase,
  RawServerDefault,
  RouteGenericInterface,
} from "fastify";

/**
 * A console operator's role. Each includes the one before it:
 * - `viewer` reads everything an admin reads and changes nothing;
 * - `admin` does everything but managing operators;
 * - `owner` does everything, operators included.
 */
export const ROLES = ["viewer", "admin", "owner"] as const;
export type ConsoleRole = (typeof ROLES)[number];

const RANK: Record<ConsoleRole, number> = { viewer: 0, admin: 1, owner: 2 };

export const isRole = (v: unknown): v is ConsoleRole => typeof v === "string" && v in RANK;

/** Whether `have` may do what needs `need`. */
export const roleAtLeast = (have: ConsoleRole, need: ConsoleRole): boolean => RANK[have] >= RANK[need];

declare module "fastify" {
  /**
   * Every route of the console API declares the least role it needs, beside its schema:
   * `app.post("/projects/:projectId/api-keys", { role: "admin", schema, handler })`. One hook
   * (guard.ts) enforces it before anything else runs; a console route without it fails at start.
   */
  interface RouteShorthandOptions<
    RawServer extends RawServerBase = RawServerDefault,
    RawRequest extends RawRequestDefaultExpression<RawServer> = RawRequestDefaultExpression<RawServer>,
    RawReply extends RawReplyDefaultExpression<RawServer> = RawReplyDefaultExpression<RawServer>,
    RouteGeneric extends RouteGenericInterface = RouteGenericInterface,
    ContextConfig = ContextConfigDefault,
    SchemaCompiler extends FastifySchema = FastifySchema,
    TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
    Logger extends FastifyBaseLogger = FastifyBaseLogger,
  > {
    role?: ConsoleRole;
  }
  interface FastifyContextConfig {
    /** Copied from the route's `role` when it is registered, where the guard reads it. */
    consoleRole?: ConsoleRole;
  }
}
