import { createHash, randomBytes } from "node:crypto";
import fastifyFormbody from "@fastify/formbody";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { safeEqual } from "../crypto/tokens.js";
import { escapeHtml, htmlDocument, sendHtml } from "../http/html.js";
import { CONTACTS } from "./data.js";
import { SANDBOX_OAUTH_APP } from "./entries.js";
import { ExpiringMap } from "./expiring-map.js";

/**
 * Sandbox CRM's authorization server and API: a consent page, a token endpoint that requires PKCE
 * S256, issues expiring access tokens and rotates refresh tokens (a reused refresh token revokes
 * its whole family, as RFC 9700 recommends), and a small API. State lives in one process (this
 * one, or the primary of `portico serve --processes`): the sandbox is a demo for one node, and a
 * restart invalidates its tokens.
 * @see RFC 6749, RFC 7636, RFC 9700 section 4.14 (refresh token rotation)
 */
export type SandboxOAuthOptions = { redirectUri: () => string };

export type SandboxCode = { redirectUri: string; challenge: string; scope: string };
type Refresh = { family: string; scope: string; used: boolean };
/** A refresh token's grant when it may be spent, `reused` when it was spent before (now revoked). */
export type RefreshUse = { family: string; scope: string } | "reused" | null;

/** How long the sandbox's codes and refresh tokens live, and how many of each it keeps at most. */
export const SANDBOX_OAUTH_BOUNDS = {
  codeTtlMs: 60_000,
  refreshTtlMs: 30 * 86_400_000,
  maxCodes: 10_000,
  maxTokens: 100_000,
};

/**
 * What the authorization server remembers, as operations that each complete at once (a code is
 * taken once, a refresh token spent once), wherever the state is kept: SandboxOAuthState here, or
 * the primary's over IPC in a worker of `portico serve --processes` (src/processes/sandbox-state.ts).
 */
export interface SandboxOAuthStore {
  /** Access tokens live this long (PORTICO_SANDBOX_TOKEN_TTL_SECONDS). */
  readonly tokenTtlSeconds: number;
  /** Token endpoint hits in this process, by grant type: what tests count to prove one refresh per token. */
  readonly tokenRequests: { authorization_code: number; refresh_token: number };
  saveCode(code: string, grant: SandboxCode): void | Promise<void>;
  /** The code's grant, removed so it cannot be redeemed again; null if unknown, used or expired. */
  takeCode(code: string): SandboxCode | null | Promise<SandboxCode | null>;
  saveTokens(access: string, refresh: string, family: string, scope: string): void | Promise<void>;
  /** Spends a refresh token; spending one twice revokes its family. */
  useRefresh(refresh: string): RefreshUse | Promise<RefreshUse>;
  accessValid(access: string): boolean | Promise<boolean>;
}

/**
 * The state itself, all of it bounded: entries expire with the code or token they describe, and
 * past a cap the oldest are forgotten (their holders then see `invalid_grant` or a 401, as with
 * any provider that revokes). The public authorize endpoint cannot grow it without end.
 */
export class SandboxOAuthState implements SandboxOAuthStore {
  readonly codes: ExpiringMap<string, SandboxCode>;
  readonly access: ExpiringMap<string, { family: string }>;
  readonly refresh: ExpiringMap<string, Refresh>;
  /** Token families revoked for a reused refresh token, as long as any of their tokens can live. */
  readonly revoked: ExpiringMap<string, true>;
  readonly tokenRequests = { authorization_code: 0, refresh_token: 0 };

  constructor(
    readonly tokenTtlSeconds: number,
    bounds: Partial<typeof SANDBOX_OAUTH_BOUNDS> = {},
    now: () => number = Date.now,
  ) {
    const b = { ...SANDBOX_OAUTH_BOUNDS, ...bounds };
    this.codes = new ExpiringMap(b.codeTtlMs, b.maxCodes, now);
    this.access = new ExpiringMap(tokenTtlSeconds * 1000, b.maxTokens, now);
    this.refresh = new ExpiringMap(b.refreshTtlMs, b.maxTokens, now);
    this.revoked = new ExpiringMap(b.refreshTtlMs, b.maxTokens, now);
  }

  saveCode(code: string, grant: SandboxCode): void {
    this.codes.set(code, grant);
  }

  takeCode(code: string): SandboxCode | null {
    const grant = this.codes.get(code);
    this.codes.delete(code);
    return grant ?? null;
  }

  saveTokens(access: string, refresh: string, family: string, scope: string): void {
    this.access.set(access, { family });
    this.refresh.set(refresh, { family, scope, used: false });
  }

  useRefresh(refresh: string): RefreshUse {
    const rt = this.refresh.get(refresh);
    if (!rt || this.revoked.has(rt.family)) return null;
    if (rt.used) {
      // Reuse of a rotated refresh token: someone has a copy. Revoke everything issued from it.
      this.revoked.set(rt.family, true);
      return "reused";
    }
    rt.used = true;
    return { family: rt.family, scope: rt.scope };
  }

  accessValid(access: string): boolean {
    const at = this.access.get(access);
    return !!at && !this.revoked.has(at.family);
  }
}

const token = () => randomBytes(24).toString("base64url");

type AuthorizeParams = Record<string, string | undefined>;

/** Every parameter of the authorization server is one string; a repeated one is a 400. */
const Params = z.record(z.string(), z.string().max(2048));
const hidden = { hide: true } as const;

export function sandboxOAuthServer(state: SandboxOAuthStore): FastifyPluginAsync<SandboxOAuthOptions> {
  return async (app, opts) => {
    await app.register(fastifyFormbody);

    const page = (reply: FastifyReply, status: number, body: string, formTarget?: string) =>
      sendHtml(
        reply,
        status,
        htmlDocument("Sandbox CRM", `<div class="card">${body}</div>`),
        `default-src 'none'; style-src 'self'; img-src data:; base-uri 'none'; form-action 'self'${formTarget ? ` ${new URL(formTarget).origin}` : ""}`,
      );

    /** Checks what must never be redirected to: an unknown client or an unregistered redirect URI. */
    const checkClient = (p: AuthorizeParams): string | null => {
      if (p.client_id !== SANDBOX_OAUTH_APP.clientId) return "Unknown client_id.";
      if (p.redirect_uri !== opts.redirectUri()) return "This redirect_uri is not registered for the client.";
      return null;
    };

    const back = (reply: FastifyReply, p: AuthorizeParams, params: Record<string, string>) => {
      const url = new URL(p.redirect_uri!);
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
      if (p.state) url.searchParams.set("state", p.state);
      return reply.redirect(url.toString(), 302);
    };

    app.get("/oauth/authorize", { schema: { ...hidden, querystring: Params } }, async (request, reply) => {
      const p = request.query as AuthorizeParams;
      const bad = checkClient(p);
      if (bad) return page(reply, 400, `<h1>Invalid request</h1><p>${escapeHtml(bad)}</p>`);
      if (p.response_type !== "code") return back(reply, p, { error: "unsupported_response_type" });
      if (!p.code_challenge || p.code_challenge_method !== "S256") {
        return back(reply, p, { error: "invalid_request", error_description: "PKCE with S256 is required" });
      }
      const hidden = [
        "client_id",
        "redirect_uri",
        "state",
        "code_challenge",
        "code_challenge_method",
        "scope",
        "response_type",
      ]
        .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(p[k] ?? "")}">`)
        .join("");
      return page(
        reply,
        200,
        `<h1>Sandbox CRM</h1><p>An application wants to read your Sandbox CRM contacts (${escapeHtml(p.scope ?? "")}).</p>
<form method="post" action="/sandbox/oauth/authorize">${hidden}
<p><button type="submit" name="decision" value="allow">Allow</button> <button type="submit" name="decision" value="deny">Deny</button></p></form>`,
        p.redirect_uri,
      );
    });

    app.post("/oauth/authorize", { schema: { ...hidden, body: Params } }, async (request, reply) => {
      const p = request.body as AuthorizeParams;
      const bad = checkClient(p);
      if (bad) return page(reply, 400, `<h1>Invalid request</h1><p>${escapeHtml(bad)}</p>`);
      if (p.decision !== "allow")
        return back(reply, p, { error: "access_denied", error_description: "The user denied access" });
      if (!p.code_challenge || p.code_challenge_method !== "S256") {
        return back(reply, p, { error: "invalid_request", error_description: "PKCE with S256 is required" });
      }
      const code = token();
      await state.saveCode(code, {
        redirectUri: p.redirect_uri!,
        challenge: p.code_challenge,
        scope: p.scope ?? "",
      });
      return back(reply, p, { code });
    });

    const oauthError = (reply: FastifyReply, status: number, error: string, description: string) =>
      reply
        .status(status)
        .header("cache-control", "no-store")
        .send({ error, error_description: description });

    const clientOk = (request: FastifyRequest) => {
      const m = /^Basic (.+)$/.exec(request.headers.authorization ?? "");
      const [id, secret] = m
        ? Buffer.from(m[1]!, "base64").toString().split(":").map(decodeURIComponent)
        : [];
      return (
        id === SANDBOX_OAUTH_APP.clientId && !!secret && safeEqual(secret, SANDBOX_OAUTH_APP.clientSecret)
      );
    };

    const issue = async (family: string, scope: string) => {
      const access = token();
      const refresh = token();
      await state.saveTokens(access, refresh, family, scope);
      return {
        access_token: access,
        token_type: "Bearer",
        expires_in: state.tokenTtlSeconds,
        refresh_token: refresh,
        scope,
      };
    };

    app.post("/oauth/token", { schema: { ...hidden, body: Params.optional() } }, async (request, reply) => {
      const b = (request.body ?? {}) as Record<string, string | undefined>;
      if (!clientOk(request)) return oauthError(reply, 401, "invalid_client", "Client authentication failed");
      if (b.grant_type === "authorization_code") {
        state.tokenRequests.authorization_code++;
        const code = await state.takeCode(b.code ?? "");
        if (!code) return oauthError(reply, 400, "invalid_grant", "The code is invalid, used or expired");
        if (code.redirectUri !== b.redirect_uri)
          return oauthError(reply, 400, "invalid_grant", "redirect_uri does not match");
        const challenge = createHash("sha256")
          .update(b.code_verifier ?? "")
          .digest("base64url");
        if (!b.code_verifier || challenge !== code.challenge)
          return oauthError(reply, 400, "invalid_grant", "PKCE verification failed");
        return issue(token(), code.scope);
      }
      if (b.grant_type === "refresh_token") {
        state.tokenRequests.refresh_token++;
        const rt = await state.useRefresh(b.refresh_token ?? "");
        if (!rt) return oauthError(reply, 400, "invalid_grant", "The refresh token is invalid");
        if (rt === "reused") {
          return oauthError(
            reply,
            400,
            "invalid_grant",
            "The refresh token was already used; the grant is revoked",
          );
        }
        return issue(rt.family, rt.scope);
      }
      return oauthError(reply, 400, "unsupported_grant_type", "Use authorization_code or refresh_token");
    });

    await app.register(
      async (crm) => {
        crm.addHook("onRequest", async (request, reply) => {
          const m = /^Bearer (.+)$/.exec(request.headers.authorization ?? "");
          if (!m || !(await state.accessValid(m[1]!))) {
            return reply
              .status(401)
              .header("www-authenticate", 'Bearer error="invalid_token"')
              .send({ error: "invalid_token", message: "The access token is invalid or expired" });
          }
        });
        crm.get("/me", async () => ({ user: "sandbox-user", api: "sandbox-crm" }));
        crm.get("/contacts", async () => ({ data: CONTACTS }));
      },
      { prefix: "/crm" },
    );
  };
}
