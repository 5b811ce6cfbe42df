import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AccountsBrowser } from "../accounts/browse.js";
import type { HealthChecks } from "../accounts/health.js";
import type { AccountsService } from "../accounts/service.js";
import type { Catalog } from "../catalog/catalog.js";
import { CATEGORIES } from "../catalog/categories.js";
import type { CatalogEntry } from "../catalog/schema.js";
import { PorticoError } from "../errors.js";
import { consoleActor } from "../history/actor.js";
import { RequestLogsQuery, UnifiedLogsPaginated } from "../history/schemas.js";
import type { HistoryService } from "../history/service.js";
import { ErrorResponse } from "../http/openapi.js";
import type { IntegrationsService } from "../integrations/service.js";
import type { SessionsService } from "../sessions/service.js";
import type { ProjectSettings } from "../tenancy/project-settings.js";
import { parseScopes } from "../tenancy/scopes.js";
import type { Principal, TenancyService } from "../tenancy/service.js";
import { DeliverySchema, EndpointSchema, EndpointWithSecret } from "../webhooks/schemas.js";
import { EVENT_TYPES, type WebhooksService } from "../webhooks/service.js";
import type { ConsoleAuth } from "./auth.js";
import { sessionCookie } from "./cookie.js";
import { consoleGuard } from "./guard.js";
import { consoleHealthRoutes } from "./health-routes.js";
import * as S from "./schemas.js";
import { consoleSettingsRoutes } from "./settings-routes.js";

export type ConsoleApiOptions = {
  auth: ConsoleAuth;
  tenancy: TenancyService;
  accounts: AccountsService;
  browser: AccountsBrowser;
  sessions: SessionsService;
  integrations: IntegrationsService;
  catalog: Catalog;
  logoUrl: (entry: CatalogEntry) => string;
  webhooks: WebhooksService;
  history: HistoryService;
  publicUrl: string;
  oauthRedirectUrl: string;
  health: HealthChecks;
  settings: ProjectSettings;
};

const DAY_MS = 86_400_000;
const tags = ["Console (Portico)"];
const security = [{ console: [] }];
const errors = { 400: ErrorResponse, 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse };

/**
 * The console's API: Portico's own, separate from the StackOne-compatible one, authenticated by
 * the console's session cookie and the request's origin. Everything it shows comes from the same
 * services the API and the CLI use, scoped to the project in the path; no answer carries a
 * credential or secret except those shown once by design (a new API key, a new or rotated webhook
 * secret) and the auth links an operator creates to hand on.
 */
export const consoleApiRoutes: FastifyPluginAsyncZod<ConsoleApiOptions> = async (app, o) => {
  const publicOrigin = new URL(o.publicUrl).origin;
  const secure = o.publicUrl.startsWith("https:");
  app.addHook("onRequest", consoleGuard(o.auth, publicOrigin, secure));

  const actor = (request: { consoleSession: { id: string; operator: string } }) =>
    consoleActor(request.consoleSession.id, request.consoleSession.operator);

  /** The project in the path, as the principal the services take (the CLI's way, for the console). */
  const project = (projectId: string): Promise<Principal> => o.tenancy.principalFor(projectId, "console");

  const entry = (provider: string) => o.catalog.get(provider);
  // Issue 21's routes, in files of their own, behind the same guard.
  await app.register(consoleHealthRoutes, { health: o.health, tenancy: o.tenancy });
  await app.register(consoleSettingsRoutes, { settings: o.settings });
  const schema = <T extends object>(s: T) => ({ tags, security, ...s });

  app.get("/me", {
    schema: schema({ summary: "The signed-in operator", response: { 200: S.Me, ...errors } }),
    handler: async (request) => ({
      operator: request.consoleSession.operator,
      session_id: request.consoleSession.id,
      expires_at: new Date(request.consoleSession.expiresAt).toISOString(),
      idle_expires_at: new Date(request.consoleSession.idleExpiresAt).toISOString(),
    }),
  });

  app.post("/sign-out", {
    schema: schema({ summary: "End this console session", response: { 204: z.null(), ...errors } }),
    handler: async (request, reply) => {
      await o.auth.signOut(request.consoleSession);
      return reply
        .header("set-cookie", sessionCookie("", { secure, maxAgeSeconds: 0 }))
        .status(204)
        .send(null);
    },
  });

  app.get("/projects", {
    schema: schema({ summary: "Every project", response: { 200: z.array(S.Project), ...errors } }),
    handler: () => o.tenancy.listProjects(),
  });

  app.post("/projects", {
    schema: schema({
      summary: "Create a project",
      body: S.CreateProject,
      response: { 201: S.Project, ...errors },
    }),
    handler: async (request, reply) =>
      reply
        .status(201)
        .send(await o.tenancy.createProject({ name: request.body.name, actor: actor(request) })),
  });

  // ---- overview -------------------------------------------------------------------------------

  app.get("/projects/:projectId/overview", {
    schema: schema({
      summary: "Accounts by status and provider, activity per day, webhooks, refresh failures",
      params: S.ProjectParams,
      response: { 200: S.Overview, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const now = Date.now();
      const [counts, perDay, webhooks, failures] = await Promise.all([
        o.browser.counts(projectId),
        o.history.perDay(projectId, 30),
        o.webhooks.stats(projectId, now - DAY_MS),
        o.history.refreshFailuresSince(projectId, now - 7 * DAY_MS),
      ]);
      return {
        accounts: {
          ...counts,
          by_provider: counts.by_provider.map((p) => ({ ...p, name: entry(p.provider)?.name ?? p.provider })),
        },
        per_day: perDay,
        webhooks,
        refresh_failures: {
          last_7_days: failures,
          accounts_in_error: counts.by_status.find((s) => s.status === "error")?.count ?? 0,
        },
        request_log_dropped: o.history.droppedRequests,
      };
    },
  });

  // ---- accounts -------------------------------------------------------------------------------

  app.get("/projects/:projectId/accounts", {
    schema: schema({
      summary: "Accounts, newest first (or matching a search), one keyset page at a time",
      params: S.ProjectParams,
      querystring: S.AccountsQuery,
      response: { 200: S.AccountsPage, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const q = request.query;
      return o.browser.page(
        projectId,
        {
          provider: q.provider || undefined,
          status: q.status || undefined,
          owner: q.owner || undefined,
          q: q.q,
        },
        q.limit ?? 50,
        q.cursor,
      );
    },
  });

  app.get("/projects/:projectId/accounts/:id", {
    schema: schema({
      summary: "One account",
      params: S.ProjectItemParams,
      response: { 200: S.AccountDetail, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const account = await o.accounts.get(projectId, request.params.id);
      const e = entry(account.provider);
      return { account, logo_url: e ? o.logoUrl(e) : null };
    },
  });

  app.patch("/projects/:projectId/accounts/:id", {
    schema: schema({
      summary: "Edit an account's label and metadata",
      params: S.ProjectItemParams,
      body: S.PatchAccount,
      response: { 200: S.AccountView, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.accounts.update(projectId, request.params.id, request.body, actor(request));
    },
  });

  app.delete("/projects/:projectId/accounts/:id", {
    schema: schema({
      summary: "Delete an account and destroy its credentials",
      params: S.ProjectItemParams,
      response: { 200: S.AccountView, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.accounts.delete(projectId, request.params.id, actor(request));
    },
  });

  app.post("/projects/:projectId/accounts/:id/reconnect-link", {
    schema: schema({
      summary: "A connect session that re-connects this account (its auth link)",
      params: S.ProjectItemParams,
      body: S.ReconnectBody,
      response: { 201: S.AuthLink, ...errors },
    }),
    handler: async (request, reply) => {
      const principal = await project(request.params.projectId);
      const account = await o.accounts.get(principal.projectId, request.params.id);
      const session = await o.sessions.create(principal, {
        origin_owner_id: account.origin_owner_id,
        origin_owner_name: account.origin_owner_name,
        origin_username: account.origin_username,
        account_id: account.id,
        provider: account.provider,
        expires_in: request.body.expires_in ?? 7 * 86_400,
      });
      return reply.status(201).send({
        session_id: session.id,
        auth_link_url: session.auth_link_url,
        expires_at: session.expires_at,
      });
    },
  });

  app.get("/projects/:projectId/accounts/:id/events", {
    schema: schema({
      summary: "An account's timeline, newest first",
      params: S.ProjectItemParams,
      querystring: S.CursorQuery,
      response: { 200: S.EventsPage, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.history.accountTimeline(projectId, request.params.id, { next: request.query.next });
    },
  });

  app.get("/projects/:projectId/accounts/:id/requests", {
    schema: schema({
      summary: "An account's recent proxied calls",
      params: S.ProjectItemParams,
      querystring: S.CursorQuery,
      response: { 200: UnifiedLogsPaginated, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.history.listRequestLogs(
        projectId,
        { account_ids: [request.params.id], page_size: 20, include: "step_logs", next: request.query.next },
        { proxiedOnly: true },
      );
    },
  });

  // ---- connect --------------------------------------------------------------------------------

  app.post("/projects/:projectId/connect-sessions", {
    schema: schema({
      summary: "Create a connect session and its auth link",
      params: S.ProjectParams,
      body: S.ConnectBody,
      response: { 201: S.AuthLink, ...errors },
    }),
    handler: async (request, reply) => {
      const principal = await project(request.params.projectId);
      const b = request.body;
      const session = await o.sessions.create(principal, {
        origin_owner_id: b.origin_owner_id,
        origin_owner_name: b.origin_owner_name,
        origin_username: b.origin_username || null,
        label: b.label || null,
        categories: b.categories?.length ? b.categories : null,
        provider: b.provider || null,
        expires_in: b.expires_in ?? null,
        multiple: b.multiple ?? null,
      });
      return reply.status(201).send({
        session_id: session.id,
        auth_link_url: session.auth_link_url,
        expires_at: session.expires_at,
      });
    },
  });

  // ---- integrations ---------------------------------------------------------------------------

  const integrationView = (i: Awaited<ReturnType<IntegrationsService["list"]>>[number]) => {
    const e = entry(i.provider)!;
    const o2 = e.auth.oauth2;
    return {
      provider: i.provider,
      name: i.name,
      categories: i.categories,
      scheme: i.scheme,
      active: i.active,
      logo_url: o.logoUrl(e),
      oauth:
        o2 && o2.grant === "authorization_code"
          ? {
              client_id: i.oauth_client_id,
              client_secret_set: i.oauth_client_secret_set,
              scopes: i.scopes,
              default_scopes: o2.scopes,
              built_in_app: o.integrations.hasBuiltInApp(i.provider),
            }
          : null,
    };
  };

  app.get("/projects/:projectId/integrations", {
    schema: schema({
      summary: "The catalog, with what this project offers and its OAuth apps",
      params: S.ProjectParams,
      response: { 200: S.Integrations, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return {
        redirect_uri: o.oauthRedirectUrl,
        categories: [...CATEGORIES],
        integrations: (await o.integrations.list(projectId)).map(integrationView),
      };
    },
  });

  app.put("/projects/:projectId/integrations/:provider", {
    schema: schema({
      summary: "Enable or disable a provider, and set its OAuth app",
      params: S.ProjectProviderParams,
      body: S.IntegrationUpdate,
      response: { 200: S.Integration, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const b = request.body;
      const view = b.active
        ? await o.integrations.enable(
            projectId,
            request.params.provider,
            {
              clientId: b.client_id || undefined,
              clientSecret: b.client_secret || undefined,
              scopes: b.scopes,
            },
            actor(request),
          )
        : await o.integrations.disable(projectId, request.params.provider, actor(request));
      return integrationView(view);
    },
  });

  // ---- webhooks -------------------------------------------------------------------------------

  app.get("/projects/:projectId/webhooks", {
    schema: schema({
      summary: "Webhook endpoints",
      params: S.ProjectParams,
      response: { 200: S.WebhooksView, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return { event_types: [...EVENT_TYPES], endpoints: await o.webhooks.list(projectId) };
    },
  });

  app.post("/projects/:projectId/webhooks", {
    schema: schema({
      summary: "Add an endpoint; its signing secret is in this answer only",
      params: S.ProjectParams,
      body: S.CreateWebhook,
      response: { 201: EndpointWithSecret, ...errors },
    }),
    handler: async (request, reply) => {
      const { projectId } = await project(request.params.projectId);
      const b = request.body;
      return reply
        .status(201)
        .send(
          await o.webhooks.add(
            projectId,
            { url: b.url, description: b.description || null, events: b.events?.length ? b.events : null },
            actor(request),
          ),
        );
    },
  });

  app.post("/projects/:projectId/webhooks/:id/rotate-secret", {
    schema: schema({
      summary: "A new signing secret, shown once; the old one signs too during the overlap",
      params: S.ProjectItemParams,
      response: {
        200: EndpointWithSecret.extend({ previous_secret_valid_until: z.iso.datetime().nullable() }),
        ...errors,
      },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.webhooks.rotateSecret(projectId, request.params.id, actor(request));
    },
  });

  for (const action of ["enable", "disable"] as const)
    app.post(`/projects/:projectId/webhooks/:id/${action}`, {
      schema: schema({
        summary: action === "enable" ? "Resume an endpoint" : "Pause an endpoint (deliveries wait)",
        params: S.ProjectItemParams,
        response: { 200: EndpointSchema, ...errors },
      }),
      handler: async (request) => {
        const { projectId } = await project(request.params.projectId);
        return o.webhooks[action](projectId, request.params.id, actor(request));
      },
    });

  app.delete("/projects/:projectId/webhooks/:id", {
    schema: schema({
      summary: "Remove an endpoint and its pending deliveries",
      params: S.ProjectItemParams,
      response: { 200: EndpointSchema, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.webhooks.remove(projectId, request.params.id, actor(request));
    },
  });

  app.get("/projects/:projectId/webhooks/deliveries", {
    schema: schema({
      summary: "The project's deliveries to every endpoint, newest first, optionally of one state",
      description:
        "state: backlog (every pending delivery), retrying (pending, tried at least once), waiting (pending, not tried yet), delivered or failed (for good).",
      params: S.ProjectParams,
      querystring: S.DeliveriesQuery,
      response: { 200: z.array(DeliverySchema), ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.webhooks.deliveries(projectId, {
        state: request.query.state,
        limit: request.query.limit ?? 100,
      });
    },
  });

  app.get("/projects/:projectId/webhooks/:id/deliveries", {
    schema: schema({
      summary: "An endpoint's deliveries, newest first, with every attempt",
      params: S.ProjectItemParams,
      querystring: S.DeliveriesQuery,
      response: { 200: z.array(DeliverySchema), ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      await o.webhooks.get(projectId, request.params.id);
      return o.webhooks.deliveries(projectId, {
        endpointId: request.params.id,
        state: request.query.state,
        limit: request.query.limit ?? 100,
      });
    },
  });

  app.post("/projects/:projectId/webhooks/replay", {
    schema: schema({
      summary: "Send one event again, or every event since a time",
      params: S.ProjectParams,
      body: S.ReplayBody,
      response: { 202: z.object({ events: z.number(), deliveries: z.number() }), ...errors },
    }),
    handler: async (request, reply) => {
      const { projectId } = await project(request.params.projectId);
      const b = request.body;
      return reply.status(202).send(
        await o.webhooks.replay(
          projectId,
          {
            eventId: b.event_id,
            from: b.since ? Date.parse(b.since) : undefined,
            endpointId: b.endpoint_id,
          },
          actor(request),
        ),
      );
    },
  });

  // ---- API keys -------------------------------------------------------------------------------

  app.get("/projects/:projectId/api-keys", {
    schema: schema({
      summary: "API keys (prefixes only)",
      params: S.ProjectParams,
      response: { 200: z.array(S.ApiKey), ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.tenancy.listApiKeys(projectId);
    },
  });

  app.post("/projects/:projectId/api-keys", {
    schema: schema({
      summary: "Create an API key; the key is in this answer only",
      params: S.ProjectParams,
      body: S.CreateApiKey,
      response: { 201: S.CreatedApiKey, ...errors },
    }),
    handler: async (request, reply) => {
      const { projectId } = await project(request.params.projectId);
      return reply.status(201).send(
        await o.tenancy.createApiKey(projectId, request.body.name || undefined, {
          actor: actor(request),
          scopes: request.body.scopes ? parseScopes(request.body.scopes, "scopes") : undefined,
          expiresInMs: request.body.expires_in === undefined ? undefined : request.body.expires_in * 1000,
        }),
      );
    },
  });

  app.post("/projects/:projectId/api-keys/:id/revoke", {
    schema: schema({
      summary: "Revoke an API key",
      params: S.ProjectItemParams,
      response: { 200: S.ApiKey, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const keys = await o.tenancy.listApiKeys(projectId);
      if (!keys.some((k) => k.id === request.params.id))
        throw new PorticoError("NOT_FOUND", `id: API key ${request.params.id} not found`);
      return o.tenancy.revokeApiKey(request.params.id, actor(request));
    },
  });

  // ---- logs -----------------------------------------------------------------------------------

  app.get("/projects/:projectId/logs/requests", {
    schema: schema({
      summary: "The request log (the Request Logs API's filters and cursor)",
      params: S.ProjectParams,
      querystring: RequestLogsQuery,
      response: { 200: UnifiedLogsPaginated, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.history.listRequestLogs(projectId, { ...request.query, include: "step_logs" });
    },
  });

  app.get("/projects/:projectId/logs/events", {
    schema: schema({
      summary: "The project's account events, newest first",
      params: S.ProjectParams,
      querystring: S.EventsQuery,
      response: { 200: S.EventsPage, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const q = request.query;
      return o.history.listEvents(
        projectId,
        {
          type: q.type || undefined,
          accountId: q.account_id || undefined,
          from: q.start_date ? Date.parse(q.start_date) : undefined,
          to: q.end_date ? Date.parse(q.end_date) : undefined,
        },
        { next: q.next },
      );
    },
  });

  app.get("/projects/:projectId/logs/audit", {
    schema: schema({
      summary: "The project's audit log, newest first",
      params: S.ProjectParams,
      querystring: S.AuditQuery,
      response: { 200: S.AuditPage, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const q = request.query;
      return o.history.listAudit(
        {
          projectId,
          actorId: q.actor_id || undefined,
          targetId: q.target_id || undefined,
          from: q.start_date ? Date.parse(q.start_date) : undefined,
          to: q.end_date ? Date.parse(q.end_date) : undefined,
        },
        { next: q.next },
      );
    },
  });
};
