import fastifyFormbody from "@fastify/formbody";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod, ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { PorticoError } from "../errors.js";
import type { FailedAuthLimit } from "../http/failed-auth-limit.js";
import { escapeHtml } from "../http/html.js";
import { type ConsoleApiOptions, consoleApiRoutes } from "./api-routes.js";
import type { ConsoleAssets } from "./assets.js";
import { SESSION_MAX_MS } from "./auth.js";
import { COOKIE_NAME, readCookie, sessionCookie, ssoCookie } from "./cookie.js";
import { checkOrigin } from "./guard.js";
import { SSO_COOKIE, SSO_COOKIE_PATH, SsoError } from "./sso.js";

export type ConsoleRoutesOptions = ConsoleApiOptions & {
  /** The built UI, or why it could not be built (the console then says so instead of failing). */
  assets: ConsoleAssets | Error;
  /** The per-address limit on failed sign-ins (http/failed-auth-limit.ts); none when off. */
  signInLimit?: FailedAuthLimit | null;
};

/** Pages load only what Portico serves itself: no CDN, no fonts, no inline script or style. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join("; ");

const LINK_COMMAND = "node bin/portico.js console link";

/** Why single sign-on turned someone away, in words. */
const REFUSALS = {
  not_verified:
    "Your identity provider did not confirm an email address for you, so Portico cannot tell who you are. Ask your identity provider's administrator to share a verified email.",
  not_allowed:
    "is not allowed to sign in to this Portico console: nobody invited it, and its domain is not one single sign-on lets in. Ask an owner of this console for an invitation.",
  removed: "was removed from this Portico console by an owner. Ask an owner for a new invitation.",
} as const;

function page(title: string, css: string | null, head: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
${css ? `<link rel="stylesheet" href="/console/assets/${css}">` : ""}
${head}
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * The operator console at /console: the sign-in pages, the single-page app (every path below
 * /console serves it once signed in) with its built assets, and the console API under
 * /console/api. `/` sends a browser here.
 */
export const consoleRoutes: FastifyPluginAsyncZod<ConsoleRoutesOptions> = async (app, o) => {
  const publicOrigin = new URL(o.publicUrl).origin;
  const secure = o.publicUrl.startsWith("https:");
  const assets = o.assets instanceof Error ? null : o.assets;
  const css = assets?.css ?? null;

  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .status(status)
      .header("content-security-policy", CSP)
      .header("cache-control", "no-store")
      // Browsers send `Origin: null` on a page's POSTs under no-referrer, and the console's
      // origin check needs the real one; nothing leaves for another origin either way.
      .header("referrer-policy", "same-origin")
      .type("text/html; charset=utf-8")
      .send(body);

  const ssoButton = o.sso ? `<p><a class="button primary" href="/console/sso">Sign in with SSO</a></p>` : "";
  const signInPage = (
    status: number,
    reply: FastifyReply,
    opts: { token?: string; problem?: string; invitee?: string },
  ) =>
    html(
      reply,
      status,
      page(
        "Sign in · Portico console",
        css,
        "",
        `<main class="signin" id="main">
<h1>Portico console</h1>
${opts.problem ? `<p class="alert" role="alert">${escapeHtml(opts.problem)}</p>` : ""}
${
  opts.token
    ? `<p>${
        opts.invitee
          ? `You are invited to the console as <strong>${escapeHtml(opts.invitee)}</strong>. This one-time link signs this browser in.`
          : "This one-time link signs this browser in to the console."
      }</p>
<form method="post" action="/console/sign-in">
<input type="hidden" name="token" value="${escapeHtml(opts.token)}">
<button type="submit" class="primary">Sign in</button>
</form>`
    : `${ssoButton}<p>${o.sso ? "Or sign in" : "Sign in"} with a one-time link: an owner can invite you from the console's Users page. On the machine that runs Portico, in its directory, an owner can also run:</p>
<pre><code>${LINK_COMMAND}</code></pre>
<p>(<code>portico console link</code> when installed) and open the link it prints. Links work once, for a few minutes.</p>`
}
</main>`,
      ),
    );

  /** A page that goes on to the console: a navigation started here carries the SameSite=Strict cookie. */
  const continuePage = (reply: FastifyReply, cookie: string) =>
    html(
      reply.header("set-cookie", [
        cookie,
        ssoCookie(SSO_COOKIE, SSO_COOKIE_PATH, "", { secure, maxAgeSeconds: 0 }),
      ]),
      200,
      page(
        "Signed in · Portico console",
        css,
        `<meta http-equiv="refresh" content="0;url=/console/">`,
        `<main class="signin" id="main">
<h1>Portico console</h1>
<p>You are signed in. <a href="/console/">Go to the console</a>.</p>
</main>`,
      ),
    );

  const refusalPage = (reply: FastifyReply, status: number, message: string) =>
    html(
      reply.header("set-cookie", ssoCookie(SSO_COOKIE, SSO_COOKIE_PATH, "", { secure, maxAgeSeconds: 0 })),
      status,
      page(
        "Not signed in · Portico console",
        css,
        "",
        `<main class="signin" id="main">
<h1>You are not signed in</h1>
<p class="alert" role="alert">${escapeHtml(message)}</p>
<p><a class="button" href="/console/sso">Try single sign-on again</a> <a href="/console/sign-in">Other ways to sign in</a></p>
</main>`,
      ),
    );

  app.get("/", { schema: { hide: true } }, async (_request, reply) => reply.redirect("/console/", 302));

  await app.register(async (scope) => {
    await scope.register(fastifyFormbody);
    const pages = scope.withTypeProvider<ZodTypeProvider>();

    pages.get(
      "/console/sign-in",
      { schema: { hide: true, querystring: z.object({ token: z.string().max(300).optional() }) } },
      async (request, reply) => {
        const token = request.query.token;
        const link = token ? await o.auth.describeLink(token) : null;
        return signInPage(200, reply, {
          token,
          invitee: link?.invitation ? link.operator : undefined,
        });
      },
    );

    if (o.sso) {
      const sso = o.sso;
      pages.get("/console/sso", { schema: { hide: true } }, async (_request, reply) => {
        try {
          const { url, cookie } = await sso.start();
          return reply
            .header(
              "set-cookie",
              ssoCookie(SSO_COOKIE, SSO_COOKIE_PATH, cookie, { secure, maxAgeSeconds: 600 }),
            )
            .header("cache-control", "no-store")
            .header("referrer-policy", "same-origin")
            .redirect(url.toString(), 302);
        } catch (err) {
          if (!(err instanceof SsoError)) throw err;
          return refusalPage(reply, err.status, err.message);
        }
      });

      pages.get(
        "/console/sso/callback",
        { schema: { hide: true, querystring: z.record(z.string(), z.string().max(4096)) } },
        async (request, reply) => {
          try {
            const params = new URLSearchParams(request.query as Record<string, string>);
            const who = await sso.finish(params, readCookie(request.headers.cookie, SSO_COOKIE));
            const member = await o.users.forSso(who.email, who.emailVerified);
            if ("refused" in member)
              return refusalPage(
                reply,
                403,
                member.refused === "not_verified"
                  ? REFUSALS.not_verified
                  : `${member.email} ${REFUSALS[member.refused]}`,
              );
            const { token } = await o.auth.signInUser(member.user, "sso", {
              userAgent: request.headers["user-agent"],
            });
            return continuePage(
              reply,
              sessionCookie(token, { secure, maxAgeSeconds: SESSION_MAX_MS / 1000 }),
            );
          } catch (err) {
            if (!(err instanceof SsoError)) throw err;
            return refusalPage(reply, err.status, err.message);
          }
        },
      );
    }

    pages.post(
      "/console/sign-in",
      { schema: { hide: true, body: z.object({ token: z.string().max(300) }) } },
      async (request, reply) => {
        try {
          checkOrigin(request, publicOrigin);
          o.signInLimit?.check(request);
          const { token } = await o.auth
            .signIn(request.body.token, { userAgent: request.headers["user-agent"] })
            .catch((err: unknown) => {
              if (err instanceof PorticoError && err.code === "UNAUTHORIZED") o.signInLimit?.failed(request);
              throw err;
            });
          return reply
            .header("set-cookie", sessionCookie(token, { secure, maxAgeSeconds: SESSION_MAX_MS / 1000 }))
            .redirect("/console/", 303);
        } catch (err) {
          if (!(err instanceof PorticoError)) throw err;
          for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
          return signInPage(err.statusCode, reply, { problem: err.message.replace(/^origin: /, "") });
        }
      },
    );

    pages.get(
      "/console/assets/:file",
      { schema: { hide: true, params: z.object({ file: z.string().max(200) }) } },
      async (request, reply) => {
        const asset = assets?.files.get(request.params.file);
        if (!asset) return reply.callNotFound();
        return reply
          .header("cache-control", "public, max-age=31536000, immutable")
          .type(asset.type)
          .send(asset.body);
      },
    );

    const shell = async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.url.startsWith("/console/api/")) return reply.callNotFound();
      const session = await o.auth.authenticate(readCookie(request.headers.cookie, COOKIE_NAME));
      if (!session) return reply.header("cache-control", "no-store").redirect("/console/sign-in", 302);
      if (!assets)
        return html(
          reply,
          503,
          page(
            "Portico console",
            null,
            "",
            `<main><h1>The console could not be built</h1><p>${escapeHtml((o.assets as Error).message)}</p><p>Run <code>npm run build</code> and look at its output.</p></main>`,
          ),
        );
      return html(
        reply,
        200,
        page(
          "Portico console",
          css,
          `<script type="module" src="/console/assets/${assets.js}"></script>`,
          `<div id="app"><p class="loading">Loading the console…</p></div>
<noscript><p>The Portico console needs JavaScript.</p></noscript>`,
        ),
      );
    };
    pages.get("/console", { schema: { hide: true } }, shell);
    pages.get("/console/*", { schema: { hide: true } }, shell);
  });

  await app.register(consoleApiRoutes, { ...o, prefix: "/console/api" });
};
