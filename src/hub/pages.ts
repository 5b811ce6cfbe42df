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

export type PagesOptions = {
  sessions: SessionsService;
  publicUrl: () => string;
  frameAncestors: string[] | "*";
  /** file name -> absolute path of every provider logo */
  logos: Map<string, string>;
  /** The per-address limit of the public surfaces (the hosted page), when on. */
  rateLimit?: onRequestHookHandler;
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
        return html(
          reply,
          404,
          layout(
            "Link expired",
            messageCard(
              "This link is invalid or has expired",
              "Connection links are valid for a limited time. Go back to the application that sent you here and ask it for a new link.",
            ),
          ),
        );
      }
      const base = escapeHtml(opts.publicUrl());
      const names = opts.providerNames ? await opts.providerNames(session) : {};
      return html(
        reply,
        200,
        layout(
          "Connect an integration",
          `<stackone-hub token="${escapeHtml(request.query.token!)}" base-url="${base}" app-url="${base}" height="640px" show-footer-links="false"></stackone-hub>
<p id="status" role="status" hidden data-names="${escapeHtml(JSON.stringify(names))}"></p>`,
          ["/embedded/assets/hub.js", "/embedded/assets/page.js"],
        ),
      );
    },
  );

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
