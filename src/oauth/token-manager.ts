import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { AccountsService, OAuthTokens } from "../accounts/service.js";
import type { AccountRow } from "../accounts/store.js";
import type { Catalog } from "../catalog/catalog.js";
import type { CatalogEntry } from "../catalog/schema.js";
import type { TemplateValues } from "../catalog/template.js";
import { fromJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import { type Actor, SCHEDULER_ACTOR, SYSTEM_ACTOR } from "../history/actor.js";
import type { IntegrationsService } from "../integrations/service.js";
import { telemetry } from "../telemetry/telemetry.js";
import { type OAuthClient, type OAuthClientApp, OAuthError } from "./oauth-client.js";
import { retryAt } from "./token-schedule.js";

export type TokenManagerOptions = {
  marginMs: number;
  /** How long a refresher may hold an account's lease; longer than a token request can take. */
  leaseMs?: number;
  logger: Logger;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Access tokens for OAuth accounts, refreshed exactly once per token however many requests need
 * it: concurrent callers in this process share one promise, and processes sharing a database
 * take a lease on the account row (fenced by owner and credentials version) so only one of them
 * talks to the provider. A rotating refresh token is therefore never spent twice.
 */
export class TokenManager {
  private readonly inflight = new Map<string, Promise<AccountRow>>();
  /** Identifies this process as a lease holder. */
  readonly owner = `p_${randomBytes(8).toString("hex")}`;
  private readonly leaseMs: number;

  constructor(
    private readonly accounts: AccountsService,
    private readonly integrations: IntegrationsService,
    private readonly catalog: Catalog,
    private readonly client: OAuthClient,
    private readonly opts: TokenManagerOptions,
  ) {
    this.leaseMs = opts.leaseMs ?? 60_000;
  }

  /**
   * Template values for calling the provider as this account: setup values, secret fields and,
   * for OAuth accounts, a live access token (refreshed first when due, or when `force`d after the
   * provider refused the current one).
   */
  async valuesFor(
    row: AccountRow,
    opts: { force?: boolean; actor?: Actor } = {},
  ): Promise<{ row: AccountRow; values: TemplateValues }> {
    const entry = this.entry(row.provider);
    let current = row;
    let secrets = this.accounts.openSecrets(current);
    const setup = fromJson<Record<string, string>>(current.setup_information) ?? {};
    if (entry.auth.scheme !== "oauth2") return { row: current, values: { ...setup, ...secrets.fields } };
    if (!secrets.tokens)
      throw new PorticoError("PRECONDITION_FAILED", "the account has no OAuth tokens: re-connect it");
    if (opts.force || this.due(current, secrets.tokens)) {
      current = await this.refresh(current, opts.actor);
      secrets = this.accounts.openSecrets(current);
    }
    return {
      row: current,
      values: { ...setup, ...secrets.fields, access_token: secrets.tokens!.access_token },
    };
  }

  private due(row: AccountRow, tokens: OAuthTokens): boolean {
    if (tokens.expires_at === undefined) return false;
    const life = tokens.expires_at - (row.last_refreshed_at ?? row.updated_at);
    return tokens.expires_at - Math.min(this.opts.marginMs, Math.max(0, life) / 2) <= Date.now();
  }

  /**
   * Refreshes an account's token once; concurrent callers in this process join the same refresh
   * (which the history attributes to the first of them).
   */
  refresh(row: AccountRow, actor: Actor = SYSTEM_ACTOR): Promise<AccountRow> {
    const running = this.inflight.get(row.id);
    if (running) return running;
    const p = this.refreshAcrossProcesses(row, actor).finally(() => this.inflight.delete(row.id));
    this.inflight.set(row.id, p);
    return p;
  }

  private async refreshAcrossProcesses(seen: AccountRow, actor: Actor): Promise<AccountRow> {
    const deadline = Date.now() + this.leaseMs + 5_000;
    for (;;) {
      const current = await this.accounts.rowForRefresh(seen.project_id, seen.id);
      if (!current) throw new PorticoError("NOT_FOUND", `id: account ${seen.id} not found`);
      // Another process (or a re-link) wrote newer credentials since the caller read its copy.
      if (current.credentials_version > seen.credentials_version) return current;
      if (await this.accounts.acquireRefreshLease(current, this.owner, this.leaseMs))
        return this.refreshHolding(current, actor);
      if (Date.now() > deadline)
        throw new PorticoError("BAD_GATEWAY", "a token refresh in another process did not finish in time");
      await sleep(25 + Math.random() * 75);
    }
  }

  private async refreshHolding(row: AccountRow, actor: Actor): Promise<AccountRow> {
    let tokens: OAuthTokens;
    try {
      tokens = await telemetry.span("token refresh", { "portico.provider": row.provider }, () =>
        this.requestTokens(row),
      );
      telemetry.count("portico_token_refreshes_total", { outcome: "success" });
    } catch (err) {
      telemetry.count("portico_token_refreshes_total", {
        outcome: err instanceof OAuthError && err.permanent ? "rejected" : "error",
      });
      const reason =
        err instanceof OAuthError
          ? { code: err.code, description: err.description }
          : { code: "refresh_failed", description: (err as Error).message };
      await this.accounts.failRefresh(
        row,
        this.owner,
        reason,
        retryAt(Date.now(), row.refresh_failures + 1),
        actor,
      );
      this.opts.logger.warn(
        { account_id: row.id, provider: row.provider, code: reason.code },
        "token refresh failed",
      );
      throw new PorticoError("BAD_GATEWAY", `token refresh failed: ${reason.code}: ${reason.description}`, {
        provider_errors: [
          {
            status: err instanceof OAuthError ? (err.status ?? null) : null,
            url: null,
            raw: reason,
            headers: null,
          },
        ],
      });
    }
    if (!(await this.accounts.commitRefresh(row, this.owner, tokens, actor))) {
      // Fenced out: the lease lapsed or the credentials were replaced meanwhile. Use what won.
      const now = await this.accounts.rowForRefresh(row.project_id, row.id);
      if (now && now.credentials_version > row.credentials_version) return now;
      throw new PorticoError("BAD_GATEWAY", "the token refresh lost its lease; try again");
    }
    const fresh = await this.accounts.rowForRefresh(row.project_id, row.id);
    if (!fresh) throw new PorticoError("NOT_FOUND", `id: account ${row.id} not found`);
    return fresh;
  }

  private async requestTokens(row: AccountRow): Promise<OAuthTokens> {
    const entry = this.entry(row.provider);
    const o = entry.auth.oauth2!;
    const secrets = this.accounts.openSecrets(row);
    const values = { ...(fromJson<Record<string, string>>(row.setup_information) ?? {}), ...secrets.fields };
    const app = await this.appFor(row.project_id, entry, secrets.fields);
    if (o.grant === "client_credentials") return this.client.clientCredentials(entry, app, values, o.scopes);
    const refreshToken = secrets.tokens?.refresh_token;
    if (!refreshToken)
      throw new OAuthError(
        "no_refresh_token",
        "the provider issued no refresh token: re-connect the account",
        true,
      );
    return this.client.refresh(entry, app, values, refreshToken);
  }

  /**
   * The OAuth client an account uses: its own (entries whose form asks the end user for a client
   * id, such as client-credentials APIs), else the project's app for the provider.
   */
  async appFor(
    projectId: string,
    entry: CatalogEntry,
    fields: Record<string, string>,
  ): Promise<OAuthClientApp> {
    if (fields.client_id) return { clientId: fields.client_id, clientSecret: fields.client_secret ?? null };
    const app = await this.integrations.oauthApp(projectId, entry.key);
    if (!app) {
      throw new PorticoError(
        "PRECONDITION_FAILED",
        `no OAuth app is configured for ${entry.name}: portico integrations enable --provider ${entry.key} --client-id ... --client-secret ...`,
      );
    }
    return app;
  }

  /** One pass of the background scheduler: refreshes tokens nearing expiry or idle too long. */
  async refreshDue(limit = 25): Promise<number> {
    let done = 0;
    for (const due of await this.accounts.dueForRefresh(limit)) {
      const row = await this.accounts.rowForRefresh(due.project_id, due.id);
      if (!row?.next_refresh_at || row.next_refresh_at > Date.now()) continue;
      try {
        await this.refresh(row, SCHEDULER_ACTOR);
        done++;
      } catch (err) {
        this.opts.logger.debug(
          { account_id: row.id, err: (err as Error).message },
          "scheduled refresh failed",
        );
      }
    }
    return done;
  }

  private entry(provider: string): CatalogEntry {
    const entry = this.catalog.get(provider);
    if (!entry) throw new PorticoError("CONFLICT", `provider ${provider} is no longer in the catalog`);
    return entry;
  }
}
