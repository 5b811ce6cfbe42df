import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { FastifyReply, onRequestHookHandler } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { escapeHtml, htmlDocument as layout, messageCard, sendHtml } from "../http/html.js";
import { fromRoot } from "../paths.js";
import type { SessionsService } from "../sessions/service.js";
import type { SessionRow } from "../sessions/store.js";
import type { ProjectSettings, ProjectSettingsView } from "../tenancy/project-settings.js";
import { brandFooter, brandHeader, brandStyle, hubTheme, withQuery } from "./brand.js";

export type PagesOptions = {
  sessions: SessionsService;
  publicUrl: () => string;
  frameAncestors: string[] | "*";
  /** file name -> absolute path of every provider logo */
  logos: Map<string, string>;
  /** The per-address limit of the public surfaces (the hosted page), when on. */
  rateLimit?: onRequestHookHandler;
  /** Projects' brand and redirects (tenancy slice). */
  settings: ProjectSettings;
  /** Provider key -> name of what a session may offer, so the success banner names the provider. */
  providerNames?: (session: SessionRow) => Promise<Record<string, string>>;
};

const require = createRequire(import.meta.url);
/** The official hub, pinned in package.json and served from node_modules: no CDN. */
const HUB_BUNDLE = require.resolve("@stackone/hub/webcomponent");
const ASSETS = fromRoot("src", "hub", "assets");

/**
 * The hosted pages: the auth link renders the official `<stackone-hub>` against this Portico, and
 * the OAuth popup lands on a page that closes itself. The token is in the URL, so no referrer ever
 * leaves these pages, and nothing is cached.
 */
export const pagesRoutes: FastifyPluginAsyncZod<PagesOptions> = async (app, opts) => {
  const ancestors = opts.frameAncestors === "*" ? "*" : ["'self'", ...opts.frameAncestors].join(" ");
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${ancestors}`,
  ].join("; ");

  // Framing is governed by frame-ancestors above, not by helmet's blanket X-Frame-Options.
  const html = (reply: FastifyReply, status: number, body: string) =>
    sendHtml(reply.removeHeader("x-frame-options"), status, body, csp);

  app.get(
    "/embedded/integrations",
    {
      ...(opts.rateLimit ? { onRequest: opts.rateLimit } : {}),
      schema: { hide: true, querystring: z.object({ token: z.string().max(512).optional() }) },
    },
    async (request, reply) => {
      const session = await opts.sessions.resolve(request.query.token);
      if (!session) {
        // An expired link still names its project: its brand, and its error URL with a reason.
        const stale = await opts.sessions.findEvenExpired(request.query.token);
        const brand = stale ? await opts.settings.get(stale.project_id).catch(() => null) : null;
        const errorUrl = stale && brand ? opts.settings.redirectsFor(brand, stale).error_url : null;
        if (errorUrl) return reply.redirect(withQuery(errorUrl, { reason: "session_expired" }), 303);
        return html(
          reply,
          404,
          layout(
            "Link expired",
            branded(
              brand,
              messageCard(
                "This link is invalid or has expired",
                "Connection links are valid for a limited time. Go back to the application that sent you here and ask it for a new link.",
              ),
            ),
          ),
        );
      }
      const brand = await opts.settings.get(session.project_id);
      const redirects = opts.settings.redirectsFor(brand, session);
      const base = escapeHtml(opts.publicUrl());
      const theme = hubTheme(brand.accent_color);
      const names = opts.providerNames ? await opts.providerNames(session) : {};
      return html(
        reply,
        200,
        layout(
          brand.display_name ? `Connect to ${brand.display_name}` : "Connect an integration",
          branded(
            brand,
            `<stackone-hub token="${escapeHtml(request.query.token!)}" base-url="${base}" app-url="${base}" height="640px" show-footer-links="false"${theme ? ` theme="${escapeHtml(theme)}"` : ""}></stackone-hub>
<p id="status" role="status" hidden data-names="${escapeHtml(JSON.stringify(names))}"></p>`,
            redirects,
          ),
          ["/embedded/assets/hub.js", "/embedded/assets/page.js"],
        ),
      );
    },
  );

  /**
   * A page's content in the project's brand: its name and logo above, its accent colour, its
   * support link below, and where page.js sends the end user afterwards.
   */
  const branded = (
    brand: ProjectSettingsView | null,
    content: string,
    redirects: { success_url: string | null; error_url: string | null } = {
      success_url: null,
      error_url: null,
    },
  ) => {
    const data = [
      redirects.success_url ? ` data-success-url="${escapeHtml(redirects.success_url)}"` : "",
      redirects.error_url ? ` data-error-url="${escapeHtml(redirects.error_url)}"` : "",
    ].join("");
    return `<div id="portico-page"${brandStyle(brand)}${data}>${brandHeader(brand)}${content}${brandFooter(brand, redirects.error_url)}</div>`;
  };

  app.get("/embedded/accounts/callback", { schema: { hide: true } }, async (_request, reply) =>
    html(
      reply,
      200,
      layout(
        "Connected",
        `<div class="card"><h1>Done</h1><p id="status">This window closes by itself.</p></div>`,
        ["/embedded/assets/callback.js"],
      ),
    ),
  );

  // Static assets, read once. They may be embedded from customers' own origins.
  const assets = new Map<string, { body: Buffer; type: string }>([
    ["hub.js", { body: fs.readFileSync(HUB_BUNDLE), type: "application/javascript; charset=utf-8" }],
    [
      "page.js",
      { body: fs.readFileSync(path.join(ASSETS, "page.js")), type: "application/javascript; charset=utf-8" },
    ],
    [
      "callback.js",
      {
        body: fs.readFileSync(path.join(ASSETS, "callback.js")),
        type: "application/javascript; charset=utf-8",
      },
    ],
    ["page.css", { body: fs.readFileSync(path.join(ASSETS, "page.css")), type: "text/css; charset=utf-8" }],
  ]);
  app.get(
    "/embedded/assets/:file",
    { schema: { hide: true, params: z.object({ file: z.string() }) } },
    async (request, reply) => {
      const asset = assets.get(request.params.file);
      if (!asset) return reply.callNotFound();
      return reply
        .header("cache-control", "public, max-age=3600")
        .header("cross-origin-resource-policy", "cross-origin")
        .type(asset.type)
        .send(asset.body);
    },
  );

  // A project's uploaded logo (sanitised when stored); its digest in the URL, so it can be cached.
  app.get(
    "/embedded/brand/:projectId/logo",
    {
      ...(opts.rateLimit ? { onRequest: opts.rateLimit } : {}),
      schema: { hide: true, params: z.object({ projectId: z.string().max(100) }) },
    },
    async (request, reply) => {
      const logo = await opts.settings.logo(request.params.projectId);
      if (!logo) return reply.callNotFound();
      return reply
        .header("cache-control", "public, max-age=300")
        .header("cross-origin-resource-policy", "cross-origin")
        .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        .header("x-content-type-options", "nosniff")
        .type(logo.contentType)
        .send(logo.data);
    },
  );

  const logos = new Map([...opts.logos].map(([file, p]) => [file, fs.readFileSync(p)]));
  app.get(
    "/assets/logos/:file",
    { schema: { hide: true, params: z.object({ file: z.string() }) } },
    async (request, reply) => {
      const logo = logos.get(request.params.file);
      if (!logo) return reply.callNotFound();
      return reply
        .header("cache-control", "public, max-age=86400")
        .header("cross-origin-resource-policy", "cross-origin")
        .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
        .type(request.params.file.endsWith(".svg") ? "image/svg+xml" : "image/png")
        .send(logo);
    },
  );
};
