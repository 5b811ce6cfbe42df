import type { Logger } from "pino";
import type { Catalog } from "../catalog/catalog.js";
import type { CatalogEntry } from "../catalog/schema.js";
import { aad, type Vault } from "../crypto/envelope.js";
import { fromJson, toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import { type Actor, SYSTEM_ACTOR } from "../history/actor.js";
import type { HistoryService } from "../history/service.js";
import type { IntegrationRow, IntegrationsStore } from "./store.js";

export type IntegrationView = {
  provider: string;
  name: string;
  categories: string[];
  scheme: string;
  active: boolean;
  oauth_client_id: string | null;
  oauth_client_secret_set: boolean;
  scopes: string[] | null;
  /**
   * Why end users cannot connect this OAuth2 provider (no OAuth app, no client secret, a secret
   * this keyring cannot read), with what fixes it; null when they can. Operators only.
   */
  problem: string | null;
};

/** The OAuth app a project registered with a provider; the secret decrypted only when used. */
export type OAuthApp = { clientId: string; clientSecret: string | null; scopes: string[] | null };

export type EnableOptions = { clientId?: string; clientSecret?: string; scopes?: string[] };

/** How long a project's active providers are reused (see `activeProviders`). */
const ACTIVE_CACHE_MS = 1000;

/** A project's active providers, and those of them end users can actually connect. */
type ActiveState = { keys: Set<string>; offered: Set<string>; problems: Map<string, string>; until: number };

export type IntegrationsOptions = {
  /** Where operators read why an integration is not offered. */
  logger?: Logger;
  /** The project's name, for the message an end user gets ("contact <project name>"). */
  projectName?: (projectId: string) => Promise<string | undefined>;
};

/** What an operator runs to give a provider its OAuth app. */
const enableCommand = (entry: CatalogEntry) =>
  `portico integrations enable --provider ${entry.key} --project <project> --client-id <id> --client-secret <secret> (or the console's Integrations page)`;

/** Which providers each project offers to its end users, and the OAuth apps they use. */
export class IntegrationsService {
  private readonly activeCache = new Map<string, ActiveState>();
  /** Causes already logged, so a hub polled every second does not repeat them. */
  private readonly logged = new Set<string>();

  constructor(
    private readonly store: IntegrationsStore,
    private readonly catalog: Catalog,
    private readonly vault: Vault,
    /** Apps used when a project registered none (the sandbox provider's built-in client). */
    private readonly defaultApps: Record<string, OAuthApp> = {},
    private readonly now: () => number = Date.now,
    private readonly history?: HistoryService,
    private readonly opts: IntegrationsOptions = {},
  ) {}

  private entry(provider: string): CatalogEntry {
    const entry = this.catalog.get(provider);
    if (!entry) throw new PorticoError("UNKNOWN_PROVIDER", `provider: "${provider}" is not in the catalog`);
    return entry;
  }

  /**
   * Keys of the providers active on a project. Read by every hub screen, so kept for a second:
   * a change through this process is seen at once, one made by the CLI or another node within
   * ACTIVE_CACHE_MS.
   */
  async activeProviders(projectId: string, opts: { fresh?: boolean } = {}): Promise<Set<string>> {
    return (await this.active(projectId, opts)).keys;
  }

  /**
   * The active providers end users can connect: those whose OAuth app is missing or broken are
   * left out of the hub (the operator sees why in the console and the log).
   */
  async offeredProviders(projectId: string): Promise<Set<string>> {
    return (await this.active(projectId)).offered;
  }

  private async active(projectId: string, opts: { fresh?: boolean } = {}): Promise<ActiveState> {
    const now = this.now();
    const cached = this.activeCache.get(projectId);
    if (cached && cached.until > now && !opts.fresh) return cached;
    const rows = await this.store.list(projectId);
    const state: ActiveState = {
      keys: new Set(),
      offered: new Set(),
      problems: new Map(),
      until: now + ACTIVE_CACHE_MS,
    };
    for (const r of rows) {
      const entry = r.active === 1 ? this.catalog.get(r.provider) : undefined;
      if (!entry) continue;
      state.keys.add(entry.key);
      const problem = this.problemOf(projectId, entry, r);
      if (problem) {
        state.problems.set(entry.key, problem);
        this.warnOnce(projectId, entry, problem);
      } else state.offered.add(entry.key);
    }
    if (this.activeCache.size >= 10_000) this.activeCache.clear();
    this.activeCache.set(projectId, state);
    return state;
  }

  /** Whether a provider is active; a "no" from the cache is checked on the database. */
  async isActive(projectId: string, provider: string): Promise<boolean> {
    const key = this.catalog.get(provider)?.key;
    if (key === undefined) return false;
    return (
      (await this.activeProviders(projectId)).has(key) ||
      (await this.activeProviders(projectId, { fresh: true })).has(key)
    );
  }

  /** Why end users cannot connect an active provider (see IntegrationView.problem), or null. */
  async problem(projectId: string, provider: string): Promise<string | null> {
    const key = this.catalog.get(provider)?.key;
    if (key === undefined) return null;
    return (await this.active(projectId)).problems.get(key) ?? null;
  }

  /**
   * What an end user who meets a misconfigured integration is told: that it is not available and
   * whom to ask, never how to fix it. The operator's cause goes to the log.
   */
  async unavailable(projectId: string, provider: string, cause: string): Promise<PorticoError> {
    const entry = this.catalog.get(provider);
    if (entry) this.warnOnce(projectId, entry, cause);
    const name =
      (await this.opts.projectName?.(projectId).catch(() => undefined)) ?? "the application's support";
    return new PorticoError("PRECONDITION_FAILED", `This integration is not available; contact ${name}.`);
  }

  private warnOnce(projectId: string, entry: CatalogEntry, cause: string): void {
    const key = `${projectId}\u0000${entry.key}\u0000${cause}`;
    if (this.logged.has(key)) return;
    if (this.logged.size >= 10_000) this.logged.clear();
    this.logged.add(key);
    this.opts.logger?.warn(
      { project_id: projectId, provider: entry.key, cause },
      "integration not available to end users: its OAuth app is missing or broken",
    );
  }

  /** Whether the provider needs an OAuth app of the project's (not one each end user types in). */
  private needsProjectApp(entry: CatalogEntry): boolean {
    return (
      entry.auth.scheme === "oauth2" &&
      !entry.auth.fields.some((f) => f.key === "client_id") &&
      !(entry.key in this.defaultApps)
    );
  }

  /** Why this project's row cannot serve end users, or null. */
  private problemOf(projectId: string, entry: CatalogEntry, row: IntegrationRow | undefined): string | null {
    if (!this.needsProjectApp(entry)) return null;
    if (!row?.client_id) return `no OAuth app is configured for ${entry.name}: ${enableCommand(entry)}`;
    if (!row.client_secret)
      return entry.auth.oauth2?.token_auth === "none"
        ? null
        : `the OAuth app of ${entry.name} has no client secret: ${enableCommand(entry)}`;
    try {
      this.vault.decrypt(
        row.client_secret,
        aad("integrations", `${projectId}/${entry.key}`, "client_secret"),
      );
      return null;
    } catch (err) {
      return `the OAuth client secret of ${entry.name} cannot be read with this keyring (${(err as Error).message}): set it again with ${enableCommand(entry)}`;
    }
  }

  async list(projectId: string): Promise<IntegrationView[]> {
    const rows = new Map((await this.store.list(projectId)).map((r) => [r.provider, r]));
    return this.catalog.list().map((e) => this.view(projectId, e, rows.get(e.key)));
  }

  async enable(
    projectId: string,
    provider: string,
    opts: EnableOptions = {},
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<IntegrationView> {
    const entry = this.entry(provider);
    if ((opts.clientId || opts.clientSecret) && entry.auth.scheme !== "oauth2") {
      throw new PorticoError("VALIDATION", `client-id: ${entry.name} does not use OAuth2`);
    }
    const before = await this.store.get(projectId, entry.key);
    // An OAuth2 provider without its app would be offered to end users who cannot connect it.
    if (this.needsProjectApp(entry)) {
      const clientId = opts.clientId || before?.client_id;
      const secret = opts.clientSecret || before?.client_secret;
      if (!clientId || (!secret && entry.auth.oauth2?.token_auth !== "none"))
        throw new PorticoError(
          "VALIDATION",
          `client_id: ${entry.name} uses OAuth2 and needs the project's OAuth app (client id and secret) to be enabled: ${enableCommand(entry)}`,
        );
    }
    const now = this.now();
    const secret = opts.clientSecret
      ? this.vault.encrypt(
          opts.clientSecret,
          aad("integrations", `${projectId}/${entry.key}`, "client_secret"),
        )
      : null;
    const row: IntegrationRow = {
      project_id: projectId,
      provider: entry.key,
      active: 1,
      client_id: opts.clientId ?? null,
      client_secret: secret,
      scopes: toJson(opts.scopes ?? null),
      created_at: now,
      updated_at: now,
    };
    const update: Partial<IntegrationRow> = { active: 1, updated_at: now };
    if (opts.clientId !== undefined) update.client_id = opts.clientId;
    if (secret !== null) update.client_secret = secret;
    if (opts.scopes !== undefined) update.scopes = toJson(opts.scopes);
    await this.store.transaction(async (trx) => {
      await this.store.upsert(row, update, trx);
      await this.history?.audit(trx, {
        projectId,
        actor,
        action: before?.active === 1 ? "integration.updated" : "integration.enabled",
        targetType: "integration",
        targetId: entry.key,
        // What changed, never the secret itself.
        detail: {
          ...(opts.clientId !== undefined ? { client_id: opts.clientId } : {}),
          ...(opts.clientSecret ? { client_secret: "replaced" } : {}),
          ...(opts.scopes !== undefined ? { scopes: opts.scopes } : {}),
        },
      });
    });
    this.activeCache.delete(projectId);
    return this.view(projectId, entry, await this.store.get(projectId, entry.key));
  }

  async disable(projectId: string, provider: string, actor: Actor = SYSTEM_ACTOR): Promise<IntegrationView> {
    const entry = this.entry(provider);
    const now = this.now();
    await this.store.transaction(async (trx) => {
      await this.store.upsert(
        {
          project_id: projectId,
          provider: entry.key,
          active: 0,
          client_id: null,
          client_secret: null,
          scopes: null,
          created_at: now,
          updated_at: now,
        },
        { active: 0, updated_at: now },
        trx,
      );
      await this.history?.audit(trx, {
        projectId,
        actor,
        action: "integration.disabled",
        targetType: "integration",
        targetId: entry.key,
      });
    });
    this.activeCache.delete(projectId);
    return this.view(projectId, entry, await this.store.get(projectId, entry.key));
  }

  /** The project's OAuth app for a provider, or null when none is registered. */
  async oauthApp(projectId: string, provider: string): Promise<OAuthApp | null> {
    const entry = this.entry(provider);
    const row = await this.store.get(projectId, entry.key);
    if (!row?.client_id) return this.defaultApps[entry.key] ?? null;
    return {
      clientId: row.client_id,
      clientSecret: row.client_secret
        ? this.vault.decrypt(
            row.client_secret,
            aad("integrations", `${projectId}/${entry.key}`, "client_secret"),
          )
        : null,
      scopes: fromJson<string[]>(row.scopes),
    };
  }

  /** Whether Portico brings its own OAuth app for this provider (the sandbox's). */
  hasBuiltInApp(provider: string): boolean {
    const key = this.catalog.get(provider)?.key;
    return key !== undefined && key in this.defaultApps;
  }

  private view(projectId: string, entry: CatalogEntry, row: IntegrationRow | undefined): IntegrationView {
    return {
      provider: entry.key,
      name: entry.name,
      categories: entry.categories,
      scheme: entry.auth.scheme,
      active: row?.active === 1,
      oauth_client_id: row?.client_id ?? null,
      oauth_client_secret_set: !!row?.client_secret,
      scopes: fromJson<string[]>(row?.scopes),
      problem: row?.active === 1 ? this.problemOf(projectId, entry, row) : null,
    };
  }
}
