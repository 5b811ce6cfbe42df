import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { accountHealthRoutes } from "./accounts/health-routes.js";
import { accountsRoutes } from "./accounts/routes.js";
import { catalogRoutes } from "./catalog/routes.js";
import { loadConsoleAssets } from "./console/assets.js";
import { consoleRoutes } from "./console/routes.js";
import type { Context } from "./context.js";
import { requestLogHook } from "./history/request-log-hook.js";
import { requestLogRoutes } from "./history/routes.js";
import { clientErrorHandler, MAX_PARAM_LENGTH } from "./http/client-errors.js";
import { createErrorHandler, notFoundHandler } from "./http/error-handler.js";
import { failedAuthLimit } from "./http/failed-auth-limit.js";
import { registerJsonBodyParser } from "./http/json-body.js";
import { Lifecycle } from "./http/lifecycle.js";
import { registerOpenApi } from "./http/openapi.js";
import { addressRateLimit, asHook, INTERNAL_CALLER, keyRateLimit } from "./http/rate-limit-hooks.js";
import { registerReadiness } from "./http/readiness.js";
import { registerScopeCheck } from "./http/scope-hook.js";
import { registerSecurityHeaders } from "./http/security-headers.js";
import { jsonSerializerCompiler, zodValidatorCompiler } from "./http/validation.js";
import { pagesRoutes } from "./hub/pages.js";
import { hubRoutes } from "./hub/routes.js";
import { oauthNavigationRoutes } from "./oauth/routes.js";
import { proxyRoutes } from "./proxy/routes.js";
import { unifiedDataRoutes } from "./proxy/unified-data.js";
import { SANDBOX_HOST } from "./sandbox/entries.js";
import { sandboxIndexHtml } from "./sandbox/index-page.js";
import { sandboxOAuthServer } from "./sandbox/oauth-server.js";
import { sandboxRoutes } from "./sandbox/routes.js";
import { sessionsRoutes } from "./sessions/routes.js";
import { telemetry } from "./telemetry/telemetry.js";
import { apiKeyAuth } from "./tenancy/api-key-auth.js";
import { VERSION } from "./version.js";
import { webhookRoutes } from "./webhooks/routes.js";

/**
 * Builds the HTTP application over a context; no listen, so tests can inject() or listen on port 0.
 * `lifecycle` is the graceful shutdown's state (server.ts drives it).
 */
export async function buildApp(ctx: Context, lifecycle = new Lifecycle()): Promise<FastifyInstance> {
  const errorHandler = createErrorHandler(ctx.database.availability);
  // Request ids are the request log's ids (time-ordered, unique across processes): a writer tag first.
  await ctx.history.start();
  const app = Fastify({
    loggerInstance: ctx.logger as FastifyBaseLogger,
    // One access line per request is written by the onResponse hook below instead of two by Fastify.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.bodyLimitBytes,
    // X-Forwarded-For names the client (request.ip) only when it comes from a trusted proxy.
    trustProxy: ctx.config.trustedProxies.length ? ctx.config.trustedProxies : false,
    // Shutdown answers are the lifecycle's (StackOne's body), not Fastify's.
    return503OnClosing: false,
    genReqId: ctx.history.requestIds.next,
    serverFactory: lifecycle.serverFactory(ctx.config),
    // Errors the router raises before any route runs (a bad percent-escape, an over-long path
    // parameter) and those Node's parser raises go through the same StackOne body as the rest.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: errorHandler,
    clientErrorHandler,
    // Below debug level, request logs are errors only: they carry the request id themselves, so
    // the per-request child logger Fastify would build is skipped.
    ...(ctx.logger.isLevelEnabled("debug")
      ? {}
      : { childLoggerFactory: (logger: FastifyBaseLogger) => logger }),
  }).withTypeProvider<ZodTypeProvider>();

  // Request metrics and server spans, when `serve` turned them on: first, so every route has them.
  telemetry.instrumentHttp(app);
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  // JSON only: a text/plain body on a JSON endpoint is a 415, not a confusing validation error.
  app.removeContentTypeParser("text/plain");
  registerJsonBodyParser(app);

  // Access lines at debug level (5xx are logged by the error handler at warn), and no work at all
  // on the hot path when debug is off.
  if (ctx.logger.isLevelEnabled("debug")) {
    app.addHook("onResponse", (request, reply, done) => {
      const url = request.routeOptions.url ?? "(unmatched)";
      request.log.debug(
        { method: request.method, url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        "request",
      );
      done();
    });
  }

  registerSecurityHeaders(app);
  await registerOpenApi(app, ctx.config.publicUrl, VERSION);

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  registerReadiness(app, ctx.database, ctx.config.readyzTimeoutMs, lifecycle);

  const addressLimit = addressRateLimit(ctx.rateLimiter, ctx.config.publicRateLimitPerMinute);
  // Failed authentication, per address and surface (API keys, hub tokens, console sign-in).
  const failedAuth = (surface: string) =>
    failedAuthLimit(ctx.rateLimiter, ctx.config.failedAuthLimitPerMinute, surface);
  const publicLimit = addressLimit ? asHook(addressLimit) : undefined;

  // The StackOne-compatible API: every route here needs an API key and is scoped to its project.
  await app.register(async (api) => {
    api.addHook(
      "onRequest",
      apiKeyAuth(
        ctx.tenancy,
        keyRateLimit(ctx.rateLimiter, ctx.config.rateLimitPerMinute),
        failedAuth("api-key"),
      ),
    );
    api.addHook("onRoute", requestLogHook(ctx.history));
    // API-key scopes, from each route's declaration (after the key is known).
    registerScopeCheck(api);
    await api.register(sessionsRoutes, { sessions: ctx.sessions });
    await api.register(accountsRoutes, { accounts: ctx.accounts });
    await api.register(accountHealthRoutes, { prefix: "/portico/v1", health: ctx.health });
    await api.register(catalogRoutes, {
      catalog: ctx.catalog,
      integrations: ctx.integrations,
      logoUrl: ctx.logoUrl,
    });
    await api.register(proxyRoutes, { proxy: ctx.proxy });
    await api.register(unifiedDataRoutes);
    await api.register(webhookRoutes, {
      prefix: "/portico/v1",
      webhooks: ctx.webhooks,
      limiter: ctx.rateLimiter,
    });
    await api.register(requestLogRoutes, { history: ctx.history });
  });

  // What the official hub web component calls, authenticated by the session token.
  await app.register(hubRoutes, {
    prefix: "/hub",
    sessions: ctx.sessions,
    attempts: ctx.attempts,
    accounts: ctx.accounts,
    connectors: ctx.hubConnectors,
    corsOrigins: ctx.config.corsOrigins,
    refusalLimit: addressLimit ?? undefined,
    failedAuth: failedAuth("hub"),
  });
  await app.register(oauthNavigationRoutes, {
    attempts: ctx.attempts,
    callbackPath: new URL(ctx.config.oauthRedirectUrl).pathname,
    rateLimit: publicLimit,
  });
  await app.register(pagesRoutes, {
    sessions: ctx.sessions,
    publicUrl: () => ctx.config.publicUrl,
    frameAncestors: ctx.config.corsOrigins,
    logos: ctx.logos,
    rateLimit: publicLimit,
    settings: ctx.projectSettings,
    providerNames: (session) => ctx.hubConnectors.names(session),
  });

  if (ctx.config.console) {
    await app.register(consoleRoutes, {
      assets: await loadConsoleAssets().catch((err: Error) => {
        ctx.logger.error({ err: err.message }, "the console's assets could not be built");
        return err;
      }),
      auth: ctx.consoleAuth,
      users: ctx.consoleUsers,
      sso: ctx.consoleSso,
      linkMinutes: ctx.config.consoleLinkMinutes,
      invitationHours: ctx.config.consoleInvitationHours,
      idleMinutes: ctx.config.consoleIdleMinutes,
      proxy: ctx.proxy,
      tenancy: ctx.tenancy,
      accounts: ctx.accounts,
      browser: ctx.accountsBrowser,
      sessions: ctx.sessions,
      integrations: ctx.integrations,
      catalog: ctx.catalog,
      logoUrl: ctx.logoUrl,
      webhooks: ctx.webhooks,
      history: ctx.history,
      publicUrl: ctx.config.publicUrl,
      oauthRedirectUrl: ctx.config.oauthRedirectUrl,
      signInLimit: failedAuth("console"),
      health: ctx.health,
      settings: ctx.projectSettings,
    });
  }

  if (ctx.config.sandbox) {
    await app.register(async (sandbox) => {
      if (publicLimit) sandbox.addHook("onRequest", publicLimit);
      await sandbox.register(sandboxRoutes, { prefix: "/sandbox" });
      await sandbox.register(sandboxOAuthServer(ctx.sandboxOAuth), {
        prefix: "/sandbox",
        redirectUri: () => ctx.config.oauthRedirectUrl,
      });
      sandbox.get("/sandbox", { schema: { hide: true } }, async (_request, reply) =>
        reply.type("text/html; charset=utf-8").send(sandboxIndexHtml(ctx.config.publicUrl)),
      );
    });
    // Requests to the sandbox's virtual host are answered in-process: no network, no SSRF exception.
    ctx.outbound.mountInternal(SANDBOX_HOST, async (req) => {
      const res = await app.inject({
        remoteAddress: INTERNAL_CALLER,
        method: req.method as "GET",
        url: `/sandbox${req.url.pathname}${req.url.search}`,
        headers: req.headers,
        payload: req.body,
      });
      return { status: res.statusCode, headers: res.headers as Record<string, string>, body: res.rawPayload };
    });
  }

  return app;
}
