import type { FastifyReply, onRequestHookHandler } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PorticoError } from "../errors.js";
import { htmlDocument, messageCard, sendHtml } from "../http/html.js";
import { type AttemptsService, OAuthPageError } from "./attempts.js";

const IdParams = z.object({ id: z.string().min(1).max(100) });

/**
 * The popup's query: the session token, the attempt, where to return, and the entry's setup
 * fields. Every value is one string: a repeated parameter is a 400 naming it, never a crash.
 */
const StartQuery = z
  .object({
    token: z.string().max(512).optional(),
    connection_attempt_id: z.string().max(100).optional(),
    redirect_uri: z.string().max(2048).optional(),
  })
  .catchall(z.string().max(2048));

/** `/hub/connection_attempts*`: registered inside the hub's scope (session token, CORS). */
export const connectionAttemptRoutes: FastifyPluginAsyncZod<{ attempts: AttemptsService }> = async (
  app,
  { attempts },
) => {
  const hide = { hide: true } as const;
  app.post(
    "/connection_attempts",
    { schema: { ...hide, body: z.object({ token: z.string().max(512).optional() }).optional() } },
    async (request, reply) => {
      const bodyToken = request.body?.token;
      if (bodyToken && bodyToken !== request.headers["x-hub-session-token"]) {
        throw new PorticoError("VALIDATION", "token: does not match the x-hub-session-token header");
      }
      return reply.status(201).send(await attempts.create(request.hubSession));
    },
  );
  app.get("/connection_attempts/:id", { schema: { ...hide, params: IdParams } }, async (request) =>
    attempts.view(request.hubSession, request.params.id),
  );
  app.delete("/connection_attempts/:id", { schema: { ...hide, params: IdParams } }, async (request) =>
    attempts.cancel(request.hubSession, request.params.id),
  );
};

const POPUP_CSP = "default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

const page = (reply: FastifyReply, status: number, title: string, message: string) =>
  sendHtml(reply, status, htmlDocument(title, messageCard(title, message)), POPUP_CSP);

/**
 * The popup's navigation endpoints: `GET /connect/oauth2/:integration_id` sends the browser to
 * the provider; the provider sends it back to the callback path of PORTICO_OAUTH_REDIRECT_URL.
 * Refusals are pages (this is a browser window, not an API call); no referrer leaves them.
 */
export const oauthNavigationRoutes: FastifyPluginAsyncZod<{
  attempts: AttemptsService;
  callbackPath: string;
  /** The per-address limit of the public surfaces, when on. */
  rateLimit?: onRequestHookHandler;
}> = async (app, { attempts, callbackPath, rateLimit }) => {
  const limited = rateLimit ? { onRequest: rateLimit } : {};
  app.get(
    "/connect/oauth2/:integration_id",
    {
      ...limited,
      schema: {
        hide: true,
        params: z.object({ integration_id: z.string().max(100) }),
        querystring: StartQuery,
      },
    },
    async (request, reply) => {
      try {
        const url = await attempts.start(request.params.integration_id, request.query);
        return reply
          .header("referrer-policy", "no-referrer")
          .header("cache-control", "no-store")
          .redirect(url.toString(), 302);
      } catch (err) {
        if (err instanceof OAuthPageError) return page(reply, err.status, err.title, err.message);
        throw err;
      }
    },
  );

  app.get(callbackPath, { ...limited, schema: { hide: true } }, async (request, reply) => {
    const params = new URLSearchParams(request.url.split("?")[1] ?? "");
    try {
      const next = await attempts.complete(params);
      return reply
        .header("referrer-policy", "no-referrer")
        .header("cache-control", "no-store")
        .redirect(next ?? "/embedded/accounts/callback", 302);
    } catch (err) {
      if (err instanceof OAuthPageError) return page(reply, err.status, err.title, err.message);
      throw err;
    }
  });
};
