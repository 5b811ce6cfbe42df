import type { Selectable, Transaction } from "kysely";
import { generateId, generateSecret, PREFIX, sha256 } from "../crypto/tokens.js";
import type { ApiKeysTable, DB, ProjectsTable } from "../db/schema.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { PorticoError } from "../errors.js";
import { type Actor, SYSTEM_ACTOR } from "../history/actor.js";
import type { HistoryService } from "../history/service.js";
import { normalizeWireProfile, profileForSetting, type WireProfile } from "../http/wire-profile.js";
import { FULL, type Scope, scopesOf, storedScopes } from "./scopes.js";
import type { TenancyStore } from "./store.js";

/** Who is calling: the project an API key belongs to. Every query downstream is scoped by it. */
export type Principal = {
  organizationId: number;
  projectId: string;
  keyId: string;
  keyPrefix: string;
  /** The wire profile pinned on the key or, failing that, its project; undefined: detect it. */
  wireProfile?: WireProfile;
  /** The project's own per-key limit (null: PORTICO_RATE_LIMIT_PER_MINUTE; 0: off). */
  rateLimitPerMinute: number | null;
  /** What the key may call (tenancy/scopes.ts); the CLI and the console act with `full`. */
  scopes: readonly Scope[];
  /** When the key stops working (epoch ms), or null. */
  expiresAt: number | null;
};

export type ProjectView = {
  project_id: string;
  organization_id: number;
  name: string;
  created_at: string;
  /** Pinned wire profile, or "auto" (detected per request from the client's user agent). */
  wire_profile: string;
  /** API calls per minute per key; null follows PORTICO_RATE_LIMIT_PER_MINUTE, 0 is no limit. */
  rate_limit_per_minute: number | null;
};
export type ApiKeyView = {
  id: string;
  project_id: string;
  prefix: string;
  name: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** Pinned wire profile, or "project" (the project's setting applies). */
  wire_profile: string;
  /** What the key may call: full, or a comma list of read, connect, proxy. */
  scopes: string;
  /** When the key stops working; null: never. */
  expires_at: string | null;
};
export type CreatedApiKey = ApiKeyView & { api_key: string };
export type InitResult = { organization_id: number; project_id: string; api_key: string };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Display prefix: enough to recognise a key in a list, far too little to use it. */
const displayPrefix = (key: string) => `${key.slice(0, PREFIX.apiKey.length + 6)}...`;

const LAST_USED_RESOLUTION_MS = 60_000;

type CachedKey = { principal: Principal; until: number; touchedAt: number };

export class TenancyService {
  /** Digest -> principal for a few seconds, so a busy key is not looked up on every request. */
  private readonly keyCache = new Map<string, CachedKey>();

  constructor(
    private readonly store: TenancyStore,
    private readonly opts: { apiKeyCacheSeconds: number; now?: () => number; history?: HistoryService },
  ) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  async isEmpty(): Promise<boolean> {
    return (await this.store.countOrganizations()) === 0;
  }

  /**
   * Creates the first organization, project and key. Refuses on a database that already has an
   * organization; the check runs inside the transaction and a marker row makes two nodes
   * starting together on one empty PostgreSQL initialize it once.
   */
  async init(opts: { organizationName?: string; projectName?: string } = {}): Promise<InitResult | null> {
    try {
      return await this.store.transaction(async (trx) => {
        if ((await this.store.countOrganizations(trx)) > 0) return null;
        await trx
          .insertInto("meta")
          .values({ key: "initialized_at", value: String(this.now()) })
          .execute();
        const organizationId = await this.store.insertOrganization(
          trx,
          opts.organizationName ?? "Default organization",
          this.now(),
        );
        const project = await this.insertProject(trx, organizationId, opts.projectName ?? "Default project");
        const key = await this.insertApiKey(trx, project.project_id, "initial key");
        return { organization_id: organizationId, project_id: project.project_id, api_key: key.api_key };
      });
    } catch (err) {
      if (isUniqueViolation(err)) return null;
      throw err;
    }
  }

  async createOrganization(name: string): Promise<{ organization_id: number; name: string }> {
    const id = await this.store.transaction((trx) => this.store.insertOrganization(trx, name, this.now()));
    return { organization_id: id, name };
  }

  async createProject(opts: { name?: string; organizationId?: number; actor?: Actor }): Promise<ProjectView> {
    let organizationId = opts.organizationId;
    if (organizationId === undefined) {
      organizationId = await this.store.firstOrganizationId();
      if (organizationId === undefined) {
        return this.store.transaction(async (trx) => {
          const org = await this.store.insertOrganization(trx, "Default organization", this.now());
          return this.insertProject(trx, org, opts.name ?? "Project", opts.actor);
        });
      }
    } else if (!(await this.store.organizationExists(organizationId))) {
      throw new PorticoError("NOT_FOUND", `organization ${organizationId} not found`);
    }
    const orgId = organizationId;
    return this.store.transaction((trx) =>
      this.insertProject(trx, orgId, opts.name ?? "Project", opts.actor),
    );
  }

  /**
   * An organization's id when it exists (404 otherwise), or without one the first organization:
   * the one a single-organization installation has.
   */
  async organization(id?: number): Promise<number> {
    if (id === undefined) {
      const first = await this.store.firstOrganizationId();
      if (first === undefined)
        throw new PorticoError("NOT_FOUND", "organization: none yet (run portico init)");
      return first;
    }
    if (!(await this.store.organizationExists(id)))
      throw new PorticoError("NOT_FOUND", `organization: ${id} not found`);
    return id;
  }

  async listProjects(): Promise<ProjectView[]> {
    return (await this.store.listProjects()).map(projectView);
  }

  async getProject(id: string): Promise<ProjectView | undefined> {
    const p = await this.store.getProject(id);
    return p && projectView(p);
  }

  /**
   * Changes a project's settings: the wire profile every caller of it gets (`auto` to detect it
   * again), and its per-key rate limit (null: back to PORTICO_RATE_LIMIT_PER_MINUTE, 0: none).
   * Other nodes apply them within PORTICO_API_KEY_CACHE_SECONDS.
   */
  async updateProject(
    id: string,
    opts: { wireProfile?: string; rateLimitPerMinute?: number | null },
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<ProjectView> {
    await this.requireProject(id);
    const set: { wire_profile?: string | null; rate_limit_per_minute?: number | null } = {};
    if (opts.wireProfile !== undefined) {
      const value = normalizeWireProfile(opts.wireProfile);
      set.wire_profile = value === "auto" ? null : value;
    }
    if (opts.rateLimitPerMinute !== undefined) set.rate_limit_per_minute = opts.rateLimitPerMinute;
    if (Object.keys(set).length > 0) {
      await this.store.transaction(async (trx) => {
        await this.store.updateProject(id, set, trx);
        await this.opts.history?.audit(trx, {
          projectId: id,
          actor,
          action: "project.updated",
          targetType: "project",
          targetId: id,
          detail: set,
        });
      });
      this.forgetKeys((p) => p.projectId === id);
    }
    return this.requireProject(id);
  }

  async requireProject(id: string): Promise<ProjectView> {
    const p = await this.getProject(id);
    if (!p) throw new PorticoError("NOT_FOUND", `project ${id} not found`);
    return p;
  }

  /**
   * A new key, shown once. `scopes` limits what it may call (default full); `expiresInMs` makes it
   * stop working that long from now.
   */
  async createApiKey(
    projectId: string,
    name?: string,
    opts: { wireProfile?: string; actor?: Actor; scopes?: readonly Scope[]; expiresInMs?: number } = {},
  ): Promise<CreatedApiKey> {
    await this.requireProject(projectId);
    const wireProfile = opts.wireProfile === undefined ? null : normalizeWireProfile(opts.wireProfile);
    const expiresAt = opts.expiresInMs === undefined ? null : this.now() + opts.expiresInMs;
    return this.store.transaction((trx) =>
      this.insertApiKey(
        trx,
        projectId,
        name ?? null,
        wireProfile,
        opts.actor,
        opts.scopes ?? FULL,
        expiresAt,
      ),
    );
  }

  /**
   * A project's principal for a caller with no API key (the CLI on the server's machine, a
   * console operator), named by `caller` where a key id would be.
   */
  async principalFor(projectId: string, caller: string): Promise<Principal> {
    const p = await this.requireProject(projectId);
    return {
      organizationId: p.organization_id,
      projectId: p.project_id,
      keyId: caller,
      keyPrefix: caller,
      rateLimitPerMinute: p.rate_limit_per_minute,
      scopes: FULL,
      expiresAt: null,
    };
  }

  async listApiKeys(projectId?: string): Promise<ApiKeyView[]> {
    return (await this.store.listApiKeys(projectId)).map(apiKeyView);
  }

  private async requireApiKey(id: string): Promise<ApiKeyView> {
    const key = await this.store.getApiKey(id);
    if (!key) throw new PorticoError("NOT_FOUND", `API key ${id} not found`);
    return apiKeyView(key);
  }

  async revokeApiKey(id: string, actor: Actor = SYSTEM_ACTOR): Promise<ApiKeyView> {
    const key = await this.requireApiKey(id);
    await this.store.transaction(async (trx) => {
      if (!(await this.store.revokeApiKey(id, this.now(), trx))) return;
      await this.opts.history?.audit(trx, {
        projectId: key.project_id,
        actor,
        action: "api_key.revoked",
        targetType: "api_key",
        targetId: id,
        detail: { name: key.name, prefix: key.prefix },
      });
    });
    this.forgetKeys((p) => p.keyId === id);
    return this.requireApiKey(id);
  }

  /**
   * Pins the wire profile of one key's callers: `auto` detects it even where the project pins one,
   * `project` follows the project's setting again.
   */
  async updateApiKey(
    id: string,
    opts: { wireProfile?: string },
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<ApiKeyView> {
    const key = await this.requireApiKey(id);
    if (opts.wireProfile !== undefined) {
      const value =
        opts.wireProfile.trim().toLowerCase() === "project" ? null : normalizeWireProfile(opts.wireProfile);
      await this.store.transaction(async (trx) => {
        await this.store.updateApiKey(id, { wire_profile: value }, trx);
        await this.opts.history?.audit(trx, {
          projectId: key.project_id,
          actor,
          action: "api_key.updated",
          targetType: "api_key",
          targetId: id,
          detail: { wire_profile: value ?? "project" },
        });
      });
      this.forgetKeys((p) => p.keyId === id);
    }
    return this.requireApiKey(id);
  }

  private forgetKeys(match: (p: Principal) => boolean): void {
    for (const [hash, entry] of this.keyCache) if (match(entry.principal)) this.keyCache.delete(hash);
  }

  /**
   * Resolves an API key to its project, or null. A revoked key stops working on this node at
   * once and on other nodes within PORTICO_API_KEY_CACHE_SECONDS.
   */
  async authenticate(apiKey: string): Promise<Principal | null> {
    if (!apiKey.startsWith(PREFIX.apiKey) || apiKey.length > 200) return null;
    const hash = sha256(apiKey);
    const now = this.now();
    const cached = this.fromCache(hash, now);
    if (cached) return cached;
    const row = await this.store.findLiveKey(hash);
    if (!row) {
      this.keyCache.delete(hash);
      return null;
    }
    const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
    if (expiresAt !== null && expiresAt <= now) {
      this.keyCache.delete(hash);
      throw new PorticoError("UNAUTHORIZED", "Unauthorized: this API key has expired");
    }
    const principal: Principal = {
      organizationId: Number(row.organization_id),
      projectId: row.project_id,
      keyId: row.id,
      keyPrefix: row.prefix,
      wireProfile: profileForSetting(row.key_wire_profile ?? row.project_wire_profile),
      rateLimitPerMinute: row.rate_limit_per_minute,
      scopes: scopesOf(row.scopes),
      expiresAt,
    };
    const entry: CachedKey = { principal, until: now + this.opts.apiKeyCacheSeconds * 1000, touchedAt: 0 };
    if (this.opts.apiKeyCacheSeconds > 0) {
      if (this.keyCache.size > 10_000) this.keyCache.clear();
      this.keyCache.set(hash, entry);
    }
    this.touch(entry, now);
    return principal;
  }

  /**
   * The principal of a key this node looked up less than PORTICO_API_KEY_CACHE_SECONDS ago, at
   * once; undefined when it must be looked up (`authenticate`). The request path of a busy key.
   */
  cachedPrincipal(apiKey: string): Principal | undefined {
    if (!apiKey.startsWith(PREFIX.apiKey) || apiKey.length > 200) return undefined;
    return this.fromCache(sha256(apiKey), this.now());
  }

  private fromCache(hash: string, now: number): Principal | undefined {
    const cached = this.keyCache.get(hash);
    if (!cached || cached.until <= now) return undefined;
    // An expiring key is never served from the cache past its end: it is looked up, and refused.
    const ends = cached.principal.expiresAt;
    if (ends !== null && ends <= now) {
      this.keyCache.delete(hash);
      return undefined;
    }
    this.touch(cached, now);
    return cached.principal;
  }

  /** last_used_at at minute resolution, off the request's path: one write a minute per key. */
  private touch(entry: CachedKey, now: number): void {
    if (now - entry.touchedAt < LAST_USED_RESOLUTION_MS) return;
    entry.touchedAt = now;
    this.store.touchApiKey(entry.principal.keyId, now).catch(() => {
      entry.touchedAt = 0;
    });
  }

  private async insertProject(
    trx: Transaction<DB>,
    organizationId: number,
    name: string,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<ProjectView> {
    const now = this.now();
    const id = generateId("proj_");
    const row = {
      id,
      organization_id: organizationId,
      name,
      created_at: now,
      wire_profile: null,
      rate_limit_per_minute: null,
      display_name: null,
      accent_color: null,
      support_url: null,
      success_url: null,
      error_url: null,
      allowed_origins: null,
    };
    await this.store.insertProject(trx, row);
    await this.opts.history?.audit(trx, {
      projectId: id,
      actor,
      action: "project.created",
      targetType: "project",
      targetId: id,
      detail: { name, organization_id: organizationId },
    });
    return projectView(row);
  }

  private async insertApiKey(
    trx: Transaction<DB>,
    projectId: string,
    name: string | null,
    wireProfile: string | null = null,
    actor: Actor = SYSTEM_ACTOR,
    scopes: readonly Scope[] = FULL,
    expiresAt: number | null = null,
  ): Promise<CreatedApiKey> {
    const now = this.now();
    const apiKey = generateSecret(PREFIX.apiKey);
    const row = {
      id: generateId("key_"),
      project_id: projectId,
      key_hash: sha256(apiKey),
      prefix: displayPrefix(apiKey),
      name,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
      wire_profile: wireProfile,
      scopes: storedScopes(scopes),
      expires_at: expiresAt,
    };
    await this.store.insertApiKey(trx, row);
    await this.opts.history?.audit(trx, {
      projectId,
      actor,
      action: "api_key.created",
      targetType: "api_key",
      targetId: row.id,
      detail: {
        name,
        prefix: row.prefix,
        scopes: scopesOf(row.scopes).join(","),
        expires_at: expiresAt === null ? null : iso(expiresAt),
      },
    });
    return { ...apiKeyView(row), api_key: apiKey };
  }
}

const projectView = (p: Selectable<ProjectsTable>): ProjectView => ({
  project_id: p.id,
  organization_id: Number(p.organization_id),
  name: p.name,
  created_at: iso(Number(p.created_at))!,
  wire_profile: p.wire_profile ?? "auto",
  rate_limit_per_minute: p.rate_limit_per_minute === null ? null : Number(p.rate_limit_per_minute),
});

const apiKeyView = (k: ApiKeysTable): ApiKeyView => ({
  id: k.id,
  project_id: k.project_id,
  prefix: k.prefix,
  name: k.name,
  created_at: iso(Number(k.created_at))!,
  last_used_at: iso(k.last_used_at === null ? null : Number(k.last_used_at)),
  revoked_at: iso(k.revoked_at === null ? null : Number(k.revoked_at)),
  wire_profile: k.wire_profile ?? "project",
  scopes: scopesOf(k.scopes).join(","),
  expires_at: iso(k.expires_at === null ? null : Number(k.expires_at)),
});
