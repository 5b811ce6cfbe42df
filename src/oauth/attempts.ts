import * as oauth from "oauth4webapi";
import { checkFields, type SplitValues } from "../accounts/credential-fields.js";
import type { AccountsService } from "../accounts/service.js";
import type { Catalog } from "../catalog/catalog.js";
import type { CatalogEntry } from "../catalog/schema.js";
import { aad, type Vault } from "../crypto/envelope.js";
import { generateId, sha256 } from "../crypto/tokens.js";
import { fromJson, toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import type { HubConnectors } from "../hub/connectors.js";
import type { IntegrationsService } from "../integrations/service.js";
import type { SessionsService } from "../sessions/service.js";
import type { SessionRow } from "../sessions/store.js";
import type { AttemptRow, AttemptsStore } from "./attempts-store.js";
import { type OAuthClient, OAuthError } from "./oauth-client.js";
import type { TokenManager } from "./token-manager.js";

/** What `GET /hub/connection_attempts/:id` answers (hub-api.md section 3, step 4). */
export type AttemptView = {
  id: string;
  status: "pending" | "authenticated" | "error" | "cancelled" | "expired";
  account: { id: string } | null;
  error: { code: string; description: string | null } | null;
};

/** A page the popup shows instead of going on (a refusal or an error before the provider). */
export class OAuthPageError extends Error {
  override name = "OAuthPageError";
  constructor(
    readonly title: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type AttemptsDeps = {
  store: AttemptsStore;
  sessions: SessionsService;
  accounts: AccountsService;
  integrations: IntegrationsService;
  catalog: Catalog;
  connectors: HubConnectors;
  tokens: TokenManager;
  client: OAuthClient;
  vault: Vault;
  config: { publicUrl: string; oauthRedirectUrl: string; redirectOrigins: string[] };
  ttlMs?: number;
  now?: () => number;
};

/** Secrets an attempt keeps between the popup's start and the provider's callback. */
type AttemptSecrets = { verifier: string | null; fields: Record<string, string> };

/**
 * The hub's OAuth popup flow. An attempt binds a session to one single-use `state` and one PKCE
 * verifier; the provider's callback consumes the state, exchanges the code, links the account by
 * the same rules as a credentials form, and sends the popup back only to an allowed redirect.
 * @see RFC 6749 section 4.1, RFC 7636, RFC 9700 (OAuth 2.0 security BCP)
 */
export class AttemptsService {
  private readonly ttlMs: number;

  constructor(private readonly d: AttemptsDeps) {
    this.ttlMs = d.ttlMs ?? 15 * 60_000;
  }

  private now(): number {
    return this.d.now ? this.d.now() : Date.now();
  }

  async create(session: SessionRow): Promise<{ id: string }> {
    const now = this.now();
    const id = generateId("ca_", 16);
    await this.d.store.insert({
      id,
      project_id: session.project_id,
      session_id: Number(session.id),
      integration: null,
      status: "pending",
      state_hash: null,
      pkce_verifier: null,
      setup: null,
      redirect_uri: null,
      account_id: null,
      error_code: null,
      error_description: null,
      created_at: now,
      updated_at: now,
      expires_at: now + this.ttlMs,
    });
    return { id };
  }

  private async owned(session: SessionRow, id: string): Promise<AttemptRow> {
    const row = await this.d.store.get(id);
    if (!row || row.session_id !== Number(session.id))
      throw new PorticoError("NOT_FOUND", `connection attempt ${id} not found`);
    return row;
  }

  async view(session: SessionRow, id: string): Promise<AttemptView> {
    return toView(await this.owned(session, id), this.now());
  }

  async cancel(session: SessionRow, id: string): Promise<AttemptView> {
    const row = await this.owned(session, id);
    await this.d.store.updatePending(id, { status: "cancelled", state_hash: null, updated_at: this.now() });
    return toView((await this.d.store.get(id)) ?? row, this.now());
  }

  /** Portico's own callback page, or any URL on an origin the operator allowed. Nothing else. */
  isAllowedRedirect(uri: string): boolean {
    if (!URL.canParse(uri)) return false;
    const url = new URL(uri);
    if (url.protocol !== "https:" && url.protocol !== "http:") return false;
    const own = new URL(`${this.d.config.publicUrl}/embedded/accounts/callback`);
    if (url.origin === own.origin && url.pathname === own.pathname) return true;
    return this.d.config.redirectOrigins.includes(url.origin);
  }

  /**
   * `GET /connect/oauth2/:integration_id`: checks the session, the attempt and the redirect, then
   * returns the provider's authorize URL with a fresh state and S256 challenge.
   */
  async start(integrationId: string, query: Record<string, string | undefined>): Promise<URL> {
    const session = await this.d.sessions.resolve(query.token);
    if (!session)
      throw new OAuthPageError("Link expired", "This connection link is invalid or has expired.", 401);
    const attemptId = query.connection_attempt_id ?? "";
    const attempt = await this.d.store.get(attemptId);
    if (!attempt || attempt.session_id !== Number(session.id)) {
      throw new OAuthPageError(
        "Unknown attempt",
        "This connection attempt does not belong to this session.",
        404,
      );
    }
    if (attempt.status !== "pending" || attempt.expires_at <= this.now()) {
      throw new OAuthPageError(
        "Attempt ended",
        "This connection attempt has already ended. Start again from the application.",
      );
    }
    const redirect = query.redirect_uri;
    if (redirect !== undefined && !this.isAllowedRedirect(redirect)) {
      throw new OAuthPageError("Redirect refused", "The redirect address is not allowed by this Portico.");
    }
    let entry: CatalogEntry | undefined;
    try {
      entry = await this.d.connectors.find(session, integrationId);
    } catch (err) {
      // Active but its OAuth app is missing or broken: the end user gets the plain message.
      if (!(err instanceof PorticoError)) throw err;
      return this.failStart(attempt, "integration_unavailable", err.message);
    }
    if (entry?.auth.scheme !== "oauth2" || entry.auth.oauth2?.grant !== "authorization_code") {
      throw new OAuthPageError(
        "Not available",
        "This integration is not available through OAuth in this session.",
        404,
      );
    }
    const o = entry.auth.oauth2;
    let split: SplitValues;
    try {
      split = checkFields(entry, fieldsFrom(entry, query));
    } catch (err) {
      return this.failStart(attempt, "invalid_setup", (err as Error).message);
    }
    let app: Awaited<ReturnType<TokenManager["appFor"]>>;
    try {
      app = await this.d.tokens.appFor(session.project_id, entry, split.secrets);
    } catch (err) {
      const plain = await this.d.integrations.unavailable(
        session.project_id,
        entry.key,
        (err as Error).message,
      );
      return this.failStart(attempt, "integration_unavailable", plain.message);
    }
    const configured = await this.d.integrations.oauthApp(session.project_id, entry.key);
    const scopes = configured?.scopes ?? o.scopes;
    const state = oauth.generateRandomState();
    const verifier = o.pkce ? oauth.generateRandomCodeVerifier() : null;
    const secrets: AttemptSecrets = { verifier, fields: split.secrets };
    const codeChallenge = verifier ? await oauth.calculatePKCECodeChallenge(verifier) : null;
    let url: URL;
    try {
      // Setup values fill the URLs, scopes and parameters; a value they cannot take ends here.
      url = this.d.client.authorizeUrl(
        entry,
        app,
        { ...split.setup, ...split.secrets },
        { redirectUri: this.d.config.oauthRedirectUrl, state, codeChallenge, scopes },
      );
    } catch (err) {
      if (!(err instanceof PorticoError)) throw err;
      return this.failStart(attempt, "invalid_setup", err.message);
    }
    const ok = await this.d.store.updatePending(attempt.id, {
      integration: entry.key,
      state_hash: sha256(state),
      pkce_verifier: this.d.vault.encryptJson(
        secrets,
        aad("connection_attempts", attempt.id, "pkce_verifier"),
      ),
      setup: toJson(split.setup),
      redirect_uri: redirect ?? null,
      updated_at: this.now(),
    });
    if (!ok) throw new OAuthPageError("Attempt ended", "This connection attempt has already ended.");
    return url;
  }

  private async failStart(attempt: AttemptRow, code: string, description: string): Promise<never> {
    await this.d.store.updatePending(attempt.id, {
      status: "error",
      error_code: code,
      error_description: description,
      updated_at: this.now(),
    });
    throw new OAuthPageError("Cannot connect", description);
  }

  /**
   * The provider's redirect back to Portico. Returns where to send the popup: the attempt's
   * allowed `redirect_uri`, or null for Portico's own "done" page.
   */
  async complete(params: URLSearchParams): Promise<string | null> {
    const state = params.get("state");
    if (!state) throw new OAuthPageError("Invalid callback", "The provider's answer has no state.");
    const attempt = await this.d.store.consumeState(sha256(state), this.now());
    if (!attempt) {
      throw new OAuthPageError(
        "Already used",
        "This sign-in was already completed, cancelled or has expired. Start again from the application.",
      );
    }
    const redirect =
      attempt.redirect_uri && this.isAllowedRedirect(attempt.redirect_uri) ? attempt.redirect_uri : null;
    const finish = async (patch: Partial<AttemptRow>) => {
      await this.d.store.updatePending(attempt.id, { ...patch, updated_at: this.now() });
      return redirect;
    };
    if (attempt.expires_at <= this.now()) return finish({ status: "expired" });
    const providerError = params.get("error");
    if (providerError) {
      return finish({
        status: "error",
        error_code: providerError,
        error_description: params.get("error_description"),
      });
    }
    try {
      const entry = this.d.catalog.get(attempt.integration ?? "");
      const session = await this.d.sessions.reload(attempt.session_id);
      if (!entry || !session)
        throw new OAuthError("invalid_attempt", "the session or integration of this attempt is gone", true);
      const secrets = this.d.vault.decryptJson<AttemptSecrets>(
        attempt.pkce_verifier!,
        aad("connection_attempts", attempt.id, "pkce_verifier"),
      );
      const setup = fromJson<Record<string, string>>(attempt.setup) ?? {};
      const values = { ...setup, ...secrets.fields };
      const app = await this.d.tokens.appFor(session.project_id, entry, secrets.fields).catch(async (err) => {
        const plain = await this.d.integrations.unavailable(
          session.project_id,
          entry.key,
          (err as Error).message,
        );
        throw new OAuthError("integration_unavailable", plain.message, true);
      });
      const tokens = await this.d.client.exchangeCode(entry, app, values, {
        callback: params,
        state,
        redirectUri: this.d.config.oauthRedirectUrl,
        codeVerifier: secrets.verifier,
      });
      const account = await this.d.accounts.linkWithTokens(
        session,
        entry,
        { setup, secrets: secrets.fields },
        tokens,
      );
      return finish({ status: "authenticated", account_id: account.id });
    } catch (err) {
      const code = err instanceof OAuthError ? err.code : "link_failed";
      const description = err instanceof OAuthError ? err.description : (err as Error).message;
      return finish({ status: "error", error_code: code, error_description: description });
    }
  }

  /** A client-credentials provider linked from the hub's form: no popup, one token request. */
  async linkClientCredentials(session: SessionRow, entry: CatalogEntry, submitted: Record<string, unknown>) {
    const split = checkFields(entry, submitted);
    const app = await this.d.tokens.appFor(session.project_id, entry, split.secrets).catch(async (err) => {
      throw await this.d.integrations.unavailable(session.project_id, entry.key, (err as Error).message);
    });
    const configured = await this.d.integrations.oauthApp(session.project_id, entry.key);
    let tokens: Awaited<ReturnType<OAuthClient["clientCredentials"]>>;
    try {
      tokens = await this.d.client.clientCredentials(
        entry,
        app,
        { ...split.setup, ...split.secrets },
        configured?.scopes ?? entry.auth.oauth2!.scopes,
      );
    } catch (err) {
      if (err instanceof OAuthError) {
        throw new PorticoError(
          err.permanent ? "PROVIDER_REJECTED" : "BAD_GATEWAY",
          `${entry.name} refused these credentials: ${err.description}`,
          {
            provider_response: JSON.stringify({ error: err.code, error_description: err.description }),
          },
        );
      }
      throw err;
    }
    return this.d.accounts.linkWithTokens(session, entry, split, tokens);
  }

  purgeExpired(): Promise<number> {
    return this.d.store.deleteExpired(this.now() - 86_400_000);
  }
}

/** The popup carries the form's values as query parameters; only the entry's own fields count. */
function fieldsFrom(entry: CatalogEntry, query: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of entry.auth.fields) {
    const v = query[f.key];
    if (typeof v === "string" && v !== "") out[f.key] = v;
  }
  return out;
}

function toView(row: AttemptRow, now: number): AttemptView {
  const status =
    row.status === "pending" && row.expires_at <= now ? "expired" : (row.status as AttemptView["status"]);
  return {
    id: row.id,
    status,
    account: status === "authenticated" && row.account_id ? { id: row.account_id } : null,
    error:
      status === "error"
        ? { code: row.error_code ?? "oauth_error", description: row.error_description }
        : null,
  };
}
