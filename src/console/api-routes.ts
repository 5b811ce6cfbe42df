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
import { bare, type ProviderStep } from "../history/request-log-hook.js";
import { RequestLogsQuery, UnifiedLogsPaginated } from "../history/schemas.js";
import type { HistoryService } from "../history/service.js";
import { ErrorResponse } from "../http/openapi.js";
import type { IntegrationsService } from "../integrations/service.js";
import { toProxyResponseModel } from "../proxy/response-model.js";
import type { ProxyService } from "../proxy/service.js";
import type { SessionsService } from "../sessions/service.js";
import type { ProjectSettings } from "../tenancy/project-settings.js";
import { parseScopes } from "../tenancy/scopes.js";
import type { Principal, TenancyService } from "../tenancy/service.js";
import { DeliverySchema, EndpointSchema, EndpointWithSecret } from "../webhooks/schemas.js";
import { EVENT_TYPES, type WebhooksService } from "../webhooks/service.js";
import { type ConsoleAuth, type ConsoleSession, SESSION_MAX_MS } from "./auth.js";
import { sessionCookie } from "./cookie.js";
import { consoleGuard, declareRole, organizationScope } from "./guard.js";
import { consoleHealthRoutes } from "./health-routes.js";
import * as S from "./schemas.js";
import { consoleSettingsRoutes } from "./settings-routes.js";
import type { ConsoleSso } from "./sso.js";
import { teamRoutes } from "./team-routes.js";
import type { ConsoleUsers } from "./users.js";

export type ConsoleApiOptions = {
  auth: ConsoleAuth;
  users: ConsoleUsers;
  sso: ConsoleSso | null;
  linkMinutes: number;
  invitationHours: number;
  idleMinutes: number;
  tenancy: TenancyService;
  accounts: AccountsService;
  browser: AccountsBrowser;
  sessions: SessionsService;
  integrations: IntegrationsService;
  catalog: Catalog;
  logoUrl: (entry: CatalogEntry) => string;
  webhooks: WebhooksService;
  history: HistoryService;
  proxy: ProxyService;
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
  app.addHook("onRoute", declareRole);
  app.addHook("onRequest", consoleGuard(o.auth, publicOrigin, secure));
  app.addHook("preHandler", organizationScope(o.tenancy));

  /** Who does a change, for the audit log and history: the signed-in user, by email. */
  const actor = (request: { consoleSession: ConsoleSession }) => consoleActor(request.consoleSession);

  /** The project in the path, as the principal the services take (the CLI's way, for the console). */
  const project = (projectId: string): Promise<Principal> => o.tenancy.principalFor(projectId, "console");

  const entry = (provider: string) => o.catalog.get(provider);

  /**
   * A connect session an operator opened, in the audit log (API keys' are in the request log):
   * its owner and provider, never its token.
   */
  const auditSession = (
    request: { consoleSession: ConsoleSession },
    projectId: string,
    session: { id: number; origin_owner_id: string; provider?: string | null; expires_at: string },
    extra: Record<string, string>,
  ) =>
    o.history.audit(o.auth.executor, {
      projectId,
      actor: actor(request),
      action: "connect_session.created",
      targetType: "connect_session",
      targetId: String(session.id),
      detail: {
        origin_owner_id: session.origin_owner_id,
        provider: session.provider ?? null,
        expires_at: session.expires_at,
        ...extra,
      },
    });

  // Issue 21's routes, in files of their own, behind the same guard.
  await app.register(consoleHealthRoutes, { health: o.health, tenancy: o.tenancy });
  await app.register(consoleSettingsRoutes, { settings: o.settings });
  const schema = <T extends object>(s: T) => ({ tags, security, ...s });

  app.get("/me", {
    role: "viewer",
    schema: schema({ summary: "The signed-in operator: email and role", response: { 200: S.Me, ...errors } }),
    handler: async (request) => {
      const s = request.consoleSession;
      return {
        email: s.email,
        role: s.role,
        operator: s.operator,
        organization_id: s.organizationId,
        method: s.method,
        session_id: s.id,
        expires_at: new Date(s.expiresAt).toISOString(),
        idle_expires_at: new Date(s.idleExpiresAt).toISOString(),
      };
    },
  });

  app.post("/sign-out", {
    role: "viewer",
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
    role: "viewer",
    schema: schema({
      summary: "The projects of the operator's organization",
      response: { 200: z.array(S.Project), ...errors },
    }),
    handler: async (request) => {
      const mine = request.consoleSession.organizationId;
      return (await o.tenancy.listProjects()).filter((p) => mine === null || p.organization_id === mine);
    },
  });

  app.post("/projects", {
    role: "admin",
    schema: schema({
      summary: "Create a project",
      body: S.CreateProject,
      response: { 201: S.Project, ...errors },
    }),
    handler: async (request, reply) =>
      reply.status(201).send(
        await o.tenancy.createProject({
          name: request.body.name,
          organizationId: request.consoleSession.organizationId ?? undefined,
          actor: actor(request),
        }),
      ),
  });

  // ---- overview -------------------------------------------------------------------------------

  app.get("/projects/:projectId/overview", {
    role: "viewer",
    schema: schema({
      summary: "Accounts by status and provider, activity per day, webhooks, refresh failures",
      params: S.ProjectParams,
      response: { 200: S.Overview, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const now = Date.now();
      const [counts, perDay, webhooks, failures, refused] = await Promise.all([
        o.browser.counts(projectId),
        o.history.perDay(projectId, 30),
        o.webhooks.stats(projectId, now - DAY_MS),
        o.history.refreshFailuresSince(projectId, now - 7 * DAY_MS),
        o.history.refusedSince(projectId, now - DAY_MS),
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
        refused_last_24h: refused,
      };
    },
  });

  // ---- accounts -------------------------------------------------------------------------------

  app.get("/projects/:projectId/accounts", {
    role: "viewer",
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
    role: "viewer",
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
    role: "admin",
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
    role: "admin",
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
    role: "admin",
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
      await auditSession(request, principal.projectId, session, { account_id: account.id });
      return reply.status(201).send({
        session_id: session.id,
        auth_link_url: session.auth_link_url,
        expires_at: session.expires_at,
      });
    },
  });

  app.post("/projects/:projectId/accounts/:id/proxy", {
    role: "admin",
    schema: schema({
      summary: "Try a call: one request to the provider through the proxy, as this account",
      description:
        "The same path as POST /unified/proxy (credentials injected, provider's host only); answered as ProxyResponseApiModel plus the call's duration. Recorded in the request log (key: console) and the audit log.",
      params: S.ProjectItemParams,
      body: S.TryCall,
      response: { 200: S.TryCallResult, ...errors, 408: ErrorResponse, 502: ErrorResponse },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const b = request.body;
      let body: unknown;
      if (b.body !== undefined && b.body.trim() !== "" && b.method !== "GET") {
        try {
          body = JSON.parse(b.body);
        } catch {
          body = b.body;
        }
      }
      const started = Date.now();
      const call = {
        account_id: request.params.id,
        method: b.method,
        path: bare(b.path),
        provider: null as string | null,
        url: null as string | null,
        status: null as number | null,
        error: null as string | null,
        steps: undefined as ProviderStep[] | undefined,
      };
      let answered = 200;
      try {
        const res = await o.proxy.forward(
          projectId,
          request.params.id,
          { method: b.method, path: b.path, headers: b.headers, body, url: undefined },
          { actor: actor(request), call },
        );
        return { ...toProxyResponseModel(res), duration_ms: Date.now() - started };
      } catch (err) {
        call.error = (err as Error).message;
        answered = err instanceof PorticoError ? err.statusCode : 500;
        throw err;
      } finally {
        const duration = Date.now() - started;
        // In the request log beside the backend's calls (the account page's recent calls), by
        // "console" where a key would be; who it was is in the audit log.
        if (o.history.keeps(answered))
          o.history.recordRequest({
            id: request.id,
            project_id: projectId,
            duration_ms: duration,
            method: "POST",
            service: "proxy",
            route: request.routeOptions.url ?? "",
            path: bare(request.url),
            status: answered,
            key_id: null,
            key_prefix: "console",
            account_id: request.params.id.slice(0, 255),
            provider: call.provider,
            provider_method: call.method,
            provider_path: call.path,
            provider_url: call.url,
            provider_status: call.status,
            error: call.error,
            provider_steps: call.steps && call.steps.length > 1 ? JSON.stringify(call.steps) : null,
          });
        await o.history.audit(o.auth.executor, {
          projectId,
          actor: actor(request),
          action: "account.proxy_called",
          targetType: "account",
          targetId: request.params.id,
          detail: { method: b.method, path: call.path, status: call.status, error: call.error },
        });
      }
    },
  });

  app.get("/projects/:projectId/accounts/:id/events", {
    role: "viewer",
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
    role: "viewer",
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
    role: "admin",
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
      await auditSession(request, principal.projectId, session, {});
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
      problem: i.problem,
    };
  };

  app.get("/projects/:projectId/integrations", {
    role: "viewer",
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
    role: "admin",
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
    role: "viewer",
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
    role: "admin",
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
    role: "admin",
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
      role: "admin",
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
    role: "admin",
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
    role: "viewer",
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

  app.get("/projects/:projectId/webhooks/deliveries/:deliveryId", {
    role: "viewer",
    schema: schema({
      summary: "One delivery with its payload and headers (signatures never shown)",
      params: S.DeliveryParams,
      response: { 200: S.DeliveryDetail, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      return o.webhooks.delivery(projectId, request.params.deliveryId);
    },
  });

  app.post("/projects/:projectId/webhooks/:id/test", {
    role: "admin",
    schema: schema({
      summary: "Send a test event to this endpoint (whatever events it subscribes to)",
      params: S.ProjectItemParams,
      response: { 202: S.TestEvent, ...errors, 409: ErrorResponse },
    }),
    handler: async (request, reply) => {
      const { projectId } = await project(request.params.projectId);
      return reply.status(202).send(await o.webhooks.sendTest(projectId, request.params.id, actor(request)));
    },
  });

  app.get("/projects/:projectId/webhooks/:id/deliveries", {
    role: "viewer",
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
    role: "admin",
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
    role: "viewer",
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
    role: "admin",
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
    role: "admin",
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
    role: "viewer",
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

  app.get("/projects/:projectId/logs/refused", {
    role: "viewer",
    schema: schema({
      summary: "API calls answered 429, per key and minute, newest first (at most 500 rows)",
      params: S.ProjectParams,
      querystring: S.RefusedQuery,
      response: { 200: S.RefusedPage, ...errors },
    }),
    handler: async (request) => {
      const { projectId } = await project(request.params.projectId);
      const q = request.query;
      const to = q.end_date ? Date.parse(q.end_date) : Date.now();
      const from = q.start_date ? Date.parse(q.start_date) : to - DAY_MS;
      return { data: await o.history.listRefused(projectId, { from, to, keyId: q.key_id || undefined }) };
    },
  });

  app.get("/projects/:projectId/logs/events", {
    role: "viewer",
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
    role: "viewer",
    schema: schema({
      summary: "The project's audit log, newest first",
      params: S.ProjectParams,
      querystring: S.AuditQuery,
      response: { 200: S.AuditPage, ...errors },
    }),
    handler: async (request) => {
      const { projectId, organizationId } = await project(request.params.projectId);
      const q = request.query;
      return o.history.listAudit(
        {
          projectId,
          // Its organization's own entries too (operators invited, roles changed, sign-ins), and
          // the installation's (break-glass links).
          organizationId,
          actorId: q.actor_id || undefined,
          targetId: q.target_id || undefined,
          from: q.start_date ? Date.parse(q.start_date) : undefined,
          to: q.end_date ? Date.parse(q.end_date) : undefined,
        },
        { next: q.next },
      );
    },
  });

  // ---- operators and sessions -----------------------------------------------------------------

  await app.register(teamRoutes, {
    auth: o.auth,
    users: o.users,
    sso: o.sso,
    publicUrl: o.publicUrl,
    linkMinutes: o.linkMinutes,
    invitationHours: o.invitationHours,
    idleMinutes: o.idleMinutes,
    maxSessionHours: SESSION_MAX_MS / 3600_000,
  });
};
