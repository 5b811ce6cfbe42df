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
};

/** The OAuth app a project registered with a provider; the secret decrypted only when used. */
export type OAuthApp = { clientId: string; clientSecret: string | null; scopes: string[] | null };

export type EnableOptions = { clientId?: string; clientSecret?: string; scopes?: string[] };

/** How long a project's active providers are reused (see `activeProviders`). */
const ACTIVE_CACHE_MS = 1000;

/** Which providers each project offers to its end users, and the OAuth apps they use. */
export class IntegrationsService {
  private readonly activeCache = new Map<string, { keys: Set<string>; until: number }>();

  constructor(
    private readonly store: IntegrationsStore,
    private readonly catalog: Catalog,
    private readonly vault: Vault,
    /** Apps used when a project registered none (the sandbox provider's built-in client). */
    private readonly defaultApps: Record<string, OAuthApp> = {},
    private readonly now: () => number = Date.now,
    private readonly history?: HistoryService,
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
    const now = this.now();
    const cached = this.activeCache.get(projectId);
    if (cached && cached.until > now && !opts.fresh) return cached.keys;
    const rows = await this.store.list(projectId);
    const keys = new Set(
      rows
        .filter((r) => r.active === 1 && this.catalog.has(r.provider))
        .map((r) => this.catalog.get(r.provider)!.key),
    );
    if (this.activeCache.size >= 10_000) this.activeCache.clear();
    this.activeCache.set(projectId, { keys, until: now + ACTIVE_CACHE_MS });
    return keys;
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

  async list(projectId: string): Promise<IntegrationView[]> {
    const rows = new Map((await this.store.list(projectId)).map((r) => [r.provider, r]));
    return this.catalog.list().map((e) => this.view(e, rows.get(e.key)));
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
    const before = await this.store.get(projectId, entry.key);
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
    return this.view(entry, await this.store.get(projectId, entry.key));
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
    return this.view(entry, await this.store.get(projectId, entry.key));
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

  private view(entry: CatalogEntry, row: IntegrationRow | undefined): IntegrationView {
    return {
      provider: entry.key,
      name: entry.name,
      categories: entry.categories,
      scheme: entry.auth.scheme,
      active: row?.active === 1,
      oauth_client_id: row?.client_id ?? null,
      oauth_client_secret_set: !!row?.client_secret,
      scopes: fromJson<string[]>(row?.scopes),
    };
  }
}
