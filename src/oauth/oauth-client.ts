import * as oauth from "oauth4webapi";
import type { OAuthTokens } from "../accounts/service.js";
import { type CatalogEntry, isSecretField, type OAuth2Config } from "../catalog/schema.js";
import { renderParam, renderUrl, type TemplateValues } from "../catalog/template.js";
import { PorticoError } from "../errors.js";
import type { Outbound } from "../http/outbound.js";

/**
 * OAuth 2.0 requests for a catalog entry, built and processed with oauth4webapi (authorization
 * code with PKCE, refresh, client credentials). Every request goes through Portico's outbound
 * client, so the private-network rules hold for token endpoints too.
 * @see RFC 6749, RFC 7636 (PKCE), RFC 6749 section 6 (refresh)
 */
export type OAuthClientApp = { clientId: string; clientSecret: string | null };

/** A provider's OAuth error: `permanent` when retrying the same grant cannot succeed. */
export class OAuthError extends Error {
  override name = "OAuthError";
  constructor(
    readonly code: string,
    readonly description: string,
    readonly permanent: boolean,
    readonly status?: number,
  ) {
    super(`${code}: ${description}`);
  }
}

const TOKEN_TIMEOUT_MS = 15_000;
const PERMANENT = new Set([
  "invalid_grant",
  "invalid_client",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
]);

const config = (entry: CatalogEntry): OAuth2Config => {
  const o = entry.auth.oauth2;
  if (!o) throw new PorticoError("VALIDATION", `${entry.name} does not use OAuth2`);
  return o;
};

function server(entry: CatalogEntry, values: TemplateValues): oauth.AuthorizationServer {
  const o = config(entry);
  const token = renderUrl(o.token_url, values);
  return {
    issuer: token.origin,
    token_endpoint: token.toString(),
    ...(o.authorize_url ? { authorization_endpoint: renderUrl(o.authorize_url, values).toString() } : {}),
  };
}

/**
 * Scopes and extra parameters with the entry's setup values filled in. Secrets are left out: the
 * authorize URL passes through the browser (the catalog refuses such templates; this also holds
 * for scopes an operator configured).
 */
function filledParams(entry: CatalogEntry, values: TemplateValues) {
  const setup: TemplateValues = {};
  for (const f of entry.auth.fields) if (!isSecretField(f)) setup[f.key] = values[f.key];
  const render = (r: Record<string, string>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, renderParam(v, setup)]));
  const o = config(entry);
  return {
    scopes: (scopes: string[]) => scopes.map((s) => renderParam(s, setup)).join(o.scope_separator),
    authorize: () => render(o.authorize_params),
    token: () => render(o.token_params),
  };
}

function clientAuth(o: OAuth2Config, app: OAuthClientApp): oauth.ClientAuth {
  if (o.token_auth === "none" || !app.clientSecret) return oauth.None();
  return o.token_auth === "client_secret_post"
    ? oauth.ClientSecretPost(app.clientSecret)
    : oauth.ClientSecretBasic(app.clientSecret);
}

export class OAuthClient {
  constructor(
    private readonly outbound: Outbound,
    /** http:// token endpoints are refused unless private networks are allowed (tests, development). */
    private readonly allowInsecure: boolean,
  ) {}

  private options() {
    return {
      [oauth.customFetch]: this.outbound.fetch,
      [oauth.allowInsecureRequests]: this.allowInsecure,
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    };
  }

  /** The provider's authorize URL for one attempt: state, S256 challenge, scopes, extra params. */
  authorizeUrl(
    entry: CatalogEntry,
    app: OAuthClientApp,
    values: TemplateValues,
    p: { redirectUri: string; state: string; codeChallenge: string | null; scopes: string[] },
  ): URL {
    const url = new URL(server(entry, values).authorization_endpoint!);
    const filled = filledParams(entry, values);
    for (const [k, v] of Object.entries(filled.authorize())) url.searchParams.set(k, v);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", app.clientId);
    url.searchParams.set("redirect_uri", p.redirectUri);
    url.searchParams.set("state", p.state);
    if (p.scopes.length) url.searchParams.set("scope", filled.scopes(p.scopes));
    if (p.codeChallenge) {
      url.searchParams.set("code_challenge", p.codeChallenge);
      url.searchParams.set("code_challenge_method", "S256");
    }
    return url;
  }

  async exchangeCode(
    entry: CatalogEntry,
    app: OAuthClientApp,
    values: TemplateValues,
    p: { callback: URLSearchParams; state: string; redirectUri: string; codeVerifier: string | null },
  ): Promise<OAuthTokens> {
    const o = config(entry);
    const as = server(entry, values);
    const client: oauth.Client = { client_id: app.clientId };
    const callback = new URLSearchParams(p.callback);
    // The state was matched to this attempt already; an `iss` some providers add is not needed
    // for that and would only trip the library's mix-up check on hosts we templated.
    callback.delete("iss");
    return this.run(async () => {
      const params = oauth.validateAuthResponse(as, client, callback, p.state);
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        client,
        clientAuth(o, app),
        params,
        p.redirectUri,
        p.codeVerifier ?? oauth.nopkce,
        { ...this.options(), additionalParameters: filledParams(entry, values).token() },
      );
      return toTokens(await oauth.processAuthorizationCodeResponse(as, client, res), undefined);
    });
  }

  async refresh(
    entry: CatalogEntry,
    app: OAuthClientApp,
    values: TemplateValues,
    refreshToken: string,
  ): Promise<OAuthTokens> {
    const o = config(entry);
    const base = server(entry, values);
    const as = o.refresh_url
      ? { ...base, token_endpoint: renderUrl(o.refresh_url, values).toString() }
      : base;
    const client: oauth.Client = { client_id: app.clientId };
    return this.run(async () => {
      const res = await oauth.refreshTokenGrantRequest(as, client, clientAuth(o, app), refreshToken, {
        ...this.options(),
        additionalParameters: filledParams(entry, values).token(),
      });
      return toTokens(await oauth.processRefreshTokenResponse(as, client, res), refreshToken);
    });
  }

  async clientCredentials(
    entry: CatalogEntry,
    app: OAuthClientApp,
    values: TemplateValues,
    scopes: string[],
  ): Promise<OAuthTokens> {
    const o = config(entry);
    const as = server(entry, values);
    const client: oauth.Client = { client_id: app.clientId };
    const filled = filledParams(entry, values);
    const body = filled.token();
    if (scopes.length) body.scope = filled.scopes(scopes);
    return this.run(async () => {
      const res = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        clientAuth(o, app),
        body,
        this.options(),
      );
      return toTokens(await oauth.processClientCredentialsResponse(as, client, res), undefined);
    });
  }

  /** Turns the library's and the network's failures into OAuthError / PorticoError. */
  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) {
        throw new OAuthError(
          err.error,
          err.error_description ?? "the provider refused the request",
          PERMANENT.has(err.error),
          err.status,
        );
      }
      if (err instanceof oauth.WWWAuthenticateChallengeError) {
        // A 401 with a challenge: the token endpoint refused the client's credentials.
        const params = err.cause[0]?.parameters ?? {};
        throw new OAuthError(
          params.error ?? "invalid_client",
          params.error_description ?? "the provider refused the client credentials",
          true,
          err.status,
        );
      }
      if (err instanceof oauth.AuthorizationResponseError) {
        throw new OAuthError(
          err.error,
          err.error_description ?? "the provider refused the authorization",
          true,
        );
      }
      if (err instanceof PorticoError) throw err;
      const e = err as Error & { code?: string; cause?: unknown };
      if (e.name === "TimeoutError" || e.name === "AbortError") {
        throw new OAuthError(
          "temporarily_unavailable",
          "the provider's token endpoint did not answer in time",
          false,
        );
      }
      if (typeof e.code === "string" && e.code.startsWith("OAUTH_")) {
        const status = (e.cause as { status?: number } | undefined)?.status;
        throw new OAuthError(
          "invalid_response",
          `the provider's token response was not usable (${e.message})`,
          status !== undefined && status < 500,
          status,
        );
      }
      throw err;
    }
  }
}

function toTokens(r: oauth.TokenEndpointResponse, previousRefreshToken: string | undefined): OAuthTokens {
  const tokens: OAuthTokens = { access_token: r.access_token, token_type: r.token_type };
  const refresh = r.refresh_token ?? previousRefreshToken;
  if (refresh) tokens.refresh_token = refresh;
  if (typeof r.scope === "string") tokens.scope = r.scope;
  if (typeof r.expires_in === "number") tokens.expires_at = Date.now() + Math.round(r.expires_in * 1000);
  return tokens;
}
