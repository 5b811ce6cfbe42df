import fastifyCors from "@fastify/cors";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AccountsService } from "../accounts/service.js";
import { PorticoError } from "../errors.js";
import type { FailedAuthLimit } from "../http/failed-auth-limit.js";
import type { AddressLimit } from "../http/rate-limit-hooks.js";
import type { AttemptsService } from "../oauth/attempts.js";
import { connectionAttemptRoutes } from "../oauth/routes.js";
import type { SessionsService } from "../sessions/service.js";
import type { HubConnectors } from "./connectors.js";
import { HUB_TOKEN_HEADER, hubSessionAuth } from "./hub-auth.js";

export type HubRoutesOptions = {
  sessions: SessionsService;
  attempts: AttemptsService;
  accounts: AccountsService;
  connectors: HubConnectors;
  corsOrigins: string[] | "*";
  /** The per-address limit, applied to refused tokens only (a valid session is never limited). */
  refusalLimit?: AddressLimit;
  /** The per-address limit on refused tokens (hub-auth.ts). */
  failedAuth?: FailedAuthLimit | null;
};

const CredentialsBody = z.object({
  integration_id: z.string().min(1).max(100),
  credentials: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
});

const EditBody = CredentialsBody.partial({ integration_id: true });

const IdParams = z.object({ id: z.string().min(1).max(255) });

/**
 * The API the official `@stackone/hub` 1.11.4 web component calls (hub-api.md section 2),
 * authenticated by the connect session token in `x-hub-session-token`. CORS is open to the
 * configured origins, on errors too, or the user would see "Failed to fetch".
 */
export const hubRoutes: FastifyPluginAsyncZod<HubRoutesOptions> = async (app, opts) => {
  await app.register(fastifyCors, {
    origin: opts.corsOrigins === "*" ? "*" : opts.corsOrigins,
    methods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowedHeaders: ["content-type", HUB_TOKEN_HEADER, "x-hub-version"],
    maxAge: 600,
    strictPreflight: false,
  });
  // Every hub route renders errors with a string `provider_response` (hub-api.md section 4).
  app.addHook("onRoute", (route) => {
    route.config = { ...(route.config ?? {}), hub: true };
  });
  app.addHook("onRequest", hubSessionAuth(opts.sessions, opts.refusalLimit, opts.failedAuth));
  await app.register(connectionAttemptRoutes, { attempts: opts.attempts });

  const hide = { hide: true } as const;

  app.get("/settings", { schema: hide }, async (request) => {
    const s = request.hubSession;
    const existing = s.account_id ?? (s.multiple === 1 ? null : s.linked_account_id);
    return { enabled_features: [], ...(existing ? { existing_account_id: existing } : {}) };
  });

  app.get(
    "/connectors",
    { schema: { ...hide, querystring: z.object({ provider: z.string().max(100).optional() }) } },
    async (request, reply) => {
      const s = request.hubSession;
      const integrations = await opts.connectors.listJson(s, request.query.provider);
      return reply
        .type("application/json; charset=utf-8")
        .send(
          `{"integrations":${integrations},"external_trigger_token":${JSON.stringify(s.external_trigger_token)}}`,
        );
    },
  );

  app.get("/connectors/:id", { schema: { ...hide, params: IdParams } }, async (request) => {
    const entry = await opts.connectors.find(request.hubSession, request.params.id);
    if (!entry)
      throw new PorticoError(
        "NOT_FOUND",
        `integration ${request.params.id} is not available in this session`,
      );
    return { config: opts.connectors.toConfig(entry) };
  });

  app.post("/accounts", { schema: { ...hide, body: CredentialsBody } }, async (request, reply) => {
    const entry = await opts.connectors.find(request.hubSession, request.body.integration_id);
    if (!entry)
      throw new PorticoError(
        "NOT_FOUND",
        `integration_id: ${request.body.integration_id} is not available in this session`,
      );
    if (entry.auth.scheme === "oauth2" && entry.auth.oauth2?.grant !== "client_credentials") {
      throw new PorticoError(
        "VALIDATION",
        `integration_id: ${entry.name} connects through OAuth, not a credentials form`,
      );
    }
    // Client-credentials providers link from the form too: one token request, no popup.
    const account =
      entry.auth.scheme === "oauth2"
        ? await opts.attempts.linkClientCredentials(request.hubSession, entry, request.body.credentials)
        : await opts.accounts.linkFromSession(request.hubSession, entry, request.body.credentials);
    return reply.status(201).send({ id: account.id, provider: account.provider });
  });

  app.get("/accounts/:id", { schema: { ...hide, params: IdParams } }, async (request) =>
    opts.accounts.hubView(request.hubSession, request.params.id),
  );

  app.patch("/accounts/:id", { schema: { ...hide, params: IdParams, body: EditBody } }, async (request) => {
    const entry = request.body.integration_id
      ? await opts.connectors.find(request.hubSession, request.body.integration_id)
      : null;
    if (request.body.integration_id && !entry) {
      throw new PorticoError(
        "NOT_FOUND",
        `integration_id: ${request.body.integration_id} is not available in this session`,
      );
    }
    const account = await opts.accounts.editFromSession(
      request.hubSession,
      request.params.id,
      entry ?? null,
      request.body.credentials,
    );
    return { id: account.id, provider: account.provider };
  });
};
