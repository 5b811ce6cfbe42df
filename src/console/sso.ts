import * as oauth from "oauth4webapi";
import type { ConsoleOidcConfig } from "../config.js";
import { aad, type Vault } from "../crypto/envelope.js";

/** Why a single sign-on attempt stopped, in words for the refusal page. */
export class SsoError extends Error {
  override name = "SsoError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Who the identity provider says signed in, from its verified ID token (or its userinfo). */
export type SsoIdentity = {
  subject: string;
  email: string | undefined;
  emailVerified: boolean;
};

/** The browser's half of an attempt, in an encrypted cookie: its state, nonce and PKCE verifier. */
type Pending = { s: string; n: string; v: string; e: number };

export const SSO_COOKIE = "portico_sso";
export const SSO_COOKIE_PATH = "/console/sso";
const ATTEMPT_MS = 10 * 60_000;
const REQUEST_TIMEOUT_MS = 10_000;
const METADATA_TTL_MS = 3600_000;
const COOKIE_AAD = aad("console_sso", "attempt", "cookie");

/**
 * Single sign-on to the console with OpenID Connect: the authorization code flow with PKCE
 * (S256), state and nonce, and the ID token verified (issuer, audience, expiry, nonce, and its
 * signature against the provider's published keys). The attempt's secrets travel in an
 * encrypted, HttpOnly cookie bound to the browser that started it, so any node can finish it.
 * @see OpenID Connect Core 1.0 section 3.1, RFC 7636 (PKCE), RFC 9207 (iss parameter)
 */
export class ConsoleSso {
  readonly redirectUri: string;
  private metadata: { as: Promise<oauth.AuthorizationServer>; until: number } | null = null;

  constructor(
    readonly config: ConsoleOidcConfig,
    private readonly opts: { publicUrl: string; vault: Vault; now?: () => number },
  ) {
    this.redirectUri = `${opts.publicUrl}/console/sso/callback`;
  }

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private get client(): oauth.Client {
    return { client_id: this.config.clientId };
  }

  private options() {
    return {
      // Only a loopback issuer may be http, and only with PORTICO_ALLOW_PRIVATE_NETWORKS (config.ts).
      [oauth.allowInsecureRequests]: this.config.issuer.startsWith("http:"),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    };
  }

  /** The provider's metadata (discovery), kept for an hour; a failure is not kept. */
  private server(): Promise<oauth.AuthorizationServer> {
    const now = this.now();
    if (this.metadata && this.metadata.until > now) return this.metadata.as;
    const issuer = new URL(this.config.issuer);
    const as = oauth
      .discoveryRequest(issuer, { ...this.options(), algorithm: "oidc" })
      .then((res) => oauth.processDiscoveryResponse(issuer, res));
    this.metadata = { as, until: now + METADATA_TTL_MS };
    as.catch(() => {
      this.metadata = null;
    });
    return as;
  }

  private clientAuth(as: oauth.AuthorizationServer): oauth.ClientAuth {
    const methods = as.token_endpoint_auth_methods_supported;
    return !methods || methods.includes("client_secret_basic")
      ? oauth.ClientSecretBasic(this.config.clientSecret)
      : oauth.ClientSecretPost(this.config.clientSecret);
  }

  /** Starts an attempt: where to send the browser, and the cookie that binds the attempt to it. */
  async start(): Promise<{ url: URL; cookie: string }> {
    const as = await this.guard(() => this.server());
    if (!as.authorization_endpoint)
      throw new SsoError(502, "the identity provider publishes no authorization endpoint");
    const pending: Pending = {
      s: oauth.generateRandomState(),
      n: oauth.generateRandomNonce(),
      v: oauth.generateRandomCodeVerifier(),
      e: this.now() + ATTEMPT_MS,
    };
    const url = new URL(as.authorization_endpoint);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("client_id", this.config.clientId);
    url.searchParams.set("redirect_uri", this.redirectUri);
    url.searchParams.set("scope", "openid email profile");
    url.searchParams.set("state", pending.s);
    url.searchParams.set("nonce", pending.n);
    url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(pending.v));
    url.searchParams.set("code_challenge_method", "S256");
    return { url, cookie: this.opts.vault.encryptJson(pending, COOKIE_AAD) };
  }

  /**
   * Finishes an attempt from the callback's parameters and the browser's cookie: checks state
   * and `iss`, redeems the code with the verifier, and verifies the ID token.
   */
  async finish(callback: URLSearchParams, cookie: string | undefined): Promise<SsoIdentity> {
    let pending: Pending | null = null;
    try {
      pending = cookie ? this.opts.vault.decryptJson<Pending>(cookie, COOKIE_AAD) : null;
    } catch {
      pending = null;
    }
    if (!pending || pending.e <= this.now())
      throw new SsoError(
        400,
        "This sign-in was started in another browser, or took longer than 10 minutes. Start again.",
      );
    const p = pending;
    if (callback.get("state") !== p.s && !callback.has("error"))
      throw new SsoError(
        400,
        "This answer does not belong to the sign-in this browser started. Start again.",
      );
    const as = await this.guard(() => this.server());
    return this.guard(async () => {
      const params = oauth.validateAuthResponse(as, this.client, callback, p.s);
      const res = await oauth.authorizationCodeGrantRequest(
        as,
        this.client,
        this.clientAuth(as),
        params,
        this.redirectUri,
        p.v,
        this.options(),
      );
      const tokens = await oauth.processAuthorizationCodeResponse(as, this.client, res, {
        expectedNonce: p.n,
        requireIdToken: true,
      });
      // Over TLS the token endpoint vouches for the token; the signature is checked anyway, so an
      // http development provider and a misrouted answer are held to the same standard.
      await oauth.validateApplicationLevelSignature(as, res, this.options());
      const claims = oauth.getValidatedIdTokenClaims(tokens)!;
      let email = typeof claims.email === "string" ? claims.email : undefined;
      let verified = claims.email_verified === true || claims.email_verified === "true";
      if (!email && as.userinfo_endpoint) {
        const info = await oauth.processUserInfoResponse(
          as,
          this.client,
          claims.sub,
          await oauth.userInfoRequest(as, this.client, tokens.access_token, this.options()),
        );
        email = typeof info.email === "string" ? info.email : undefined;
        verified = info.email_verified === true || (info.email_verified as unknown) === "true";
      }
      return { subject: claims.sub, email, emailVerified: verified };
    });
  }

  /** The library's and the network's failures, as sentences for the refusal page. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SsoError) throw err;
      if (err instanceof oauth.AuthorizationResponseError)
        throw new SsoError(
          403,
          `The identity provider did not sign you in: ${err.error_description ?? err.error}.`,
        );
      if (err instanceof oauth.ResponseBodyError)
        throw new SsoError(
          502,
          `The identity provider refused Portico's request: ${err.error_description ?? err.error}.`,
        );
      if (err instanceof oauth.OperationProcessingError)
        throw new SsoError(
          502,
          `The identity provider's answer could not be verified (${err.message}). Start again; if it happens again, check PORTICO_CONSOLE_OIDC_ISSUER and the client's settings.`,
        );
      throw new SsoError(
        502,
        `The identity provider at ${this.config.issuer} could not be reached (${(err as Error).message}).`,
      );
    }
  }
}
