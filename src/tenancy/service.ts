import type { Selectable, Transaction } from "kysely";
import { generateId, generateSecret, PREFIX, sha256 } from "../crypto/tokens.js";
import type { DB, ProjectsTable } from "../db/schema.js";
import { isUniqueViolation } from "../db/unique-violation.js";
import { PorticoError } from "../errors.js";
import type { TenancyStore } from "./store.js";

/** Who is calling: the project an API key belongs to. Every query downstream is scoped by it. */
export type Principal = {
  organizationId: number;
  projectId: string;
  keyId: string;
  keyPrefix: string;
  /** The project's own per-key limit (null: PORTICO_RATE_LIMIT_PER_MINUTE; 0: off). */
  rateLimitPerMinute: number | null;
};

export type ProjectView = {
  project_id: string;
  organization_id: number;
  name: string;
  created_at: string;
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
};
export type CreatedApiKey = ApiKeyView & { api_key: string };
export type InitResult = { organization_id: number; project_id: string; api_key: string };

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Display prefix: enough to recognise a key in a list, far too little to use it. */
const displayPrefix = (key: string) => `${key.slice(0, PREFIX.apiKey.length + 6)}...`;

const LAST_USED_RESOLUTION_MS = 60_000;

const projectView = (p: Selectable<ProjectsTable>): ProjectView => ({
  project_id: p.id,
  organization_id: Number(p.organization_id),
  name: p.name,
  created_at: iso(p.created_at)!,
  rate_limit_per_minute: p.rate_limit_per_minute,
});

type CachedKey = { principal: Principal; until: number; touchedAt: number };

export class TenancyService {
  /** Digest -> principal for a few seconds, so a busy key is not looked up on every request. */
  private readonly keyCache = new Map<string, CachedKey>();

  constructor(
    private readonly store: TenancyStore,
    private readonly opts: { apiKeyCacheSeconds: number; now?: () => number },
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

  async createProject(opts: { name?: string; organizationId?: number }): Promise<ProjectView> {
    let organizationId = opts.organizationId;
    if (organizationId === undefined) {
      organizationId = await this.store.firstOrganizationId();
      if (organizationId === undefined) {
        return this.store.transaction(async (trx) => {
          const org = await this.store.insertOrganization(trx, "Default organization", this.now());
          return this.insertProject(trx, org, opts.name ?? "Project");
        });
      }
    } else if (!(await this.store.organizationExists(organizationId))) {
      throw new PorticoError("NOT_FOUND", `organization ${organizationId} not found`);
    }
    const orgId = organizationId;
    return this.store.transaction((trx) => this.insertProject(trx, orgId, opts.name ?? "Project"));
  }

  async listProjects(): Promise<ProjectView[]> {
    return (await this.store.listProjects()).map(projectView);
  }

  async getProject(id: string): Promise<ProjectView | undefined> {
    const p = await this.store.getProject(id);
    return p && projectView(p);
  }

  async requireProject(id: string): Promise<ProjectView> {
    const p = await this.getProject(id);
    if (!p) throw new PorticoError("NOT_FOUND", `project ${id} not found`);
    return p;
  }

  /**
   * Sets a project's per-key rate limit (null: back to PORTICO_RATE_LIMIT_PER_MINUTE). Running
   * nodes apply it within PORTICO_API_KEY_CACHE_SECONDS.
   */
  async setRateLimit(projectId: string, perMinute: number | null): Promise<ProjectView> {
    if (!(await this.store.setRateLimit(projectId, perMinute)))
      throw new PorticoError("NOT_FOUND", `project ${projectId} not found`);
    return this.requireProject(projectId);
  }

  async createApiKey(projectId: string, name?: string): Promise<CreatedApiKey> {
    await this.requireProject(projectId);
    return this.store.transaction((trx) => this.insertApiKey(trx, projectId, name ?? null));
  }

  async listApiKeys(projectId?: string): Promise<ApiKeyView[]> {
    return (await this.store.listApiKeys(projectId)).map((k) => ({
      id: k.id,
      project_id: k.project_id,
      prefix: k.prefix,
      name: k.name,
      created_at: iso(k.created_at)!,
      last_used_at: iso(k.last_used_at),
      revoked_at: iso(k.revoked_at),
    }));
  }

  async revokeApiKey(id: string): Promise<ApiKeyView> {
    const key = await this.store.getApiKey(id);
    if (!key) throw new PorticoError("NOT_FOUND", `API key ${id} not found`);
    await this.store.revokeApiKey(id, this.now());
    for (const [hash, entry] of this.keyCache) if (entry.principal.keyId === id) this.keyCache.delete(hash);
    return (await this.listApiKeys(key.project_id)).find((k) => k.id === id)!;
  }

  /**
   * Resolves an API key to its project, or null. A revoked key stops working on this node at
   * once and on other nodes within PORTICO_API_KEY_CACHE_SECONDS.
   */
  async authenticate(apiKey: string): Promise<Principal | null> {
    if (!apiKey.startsWith(PREFIX.apiKey) || apiKey.length > 200) return null;
    const hash = sha256(apiKey);
    const now = this.now();
    const cached = this.keyCache.get(hash);
    if (cached && cached.until > now) {
      this.touch(cached, now);
      return cached.principal;
    }
    const row = await this.store.findLiveKey(hash);
    if (!row) {
      this.keyCache.delete(hash);
      return null;
    }
    const principal: Principal = {
      organizationId: Number(row.organization_id),
      projectId: row.project_id,
      keyId: row.id,
      keyPrefix: row.prefix,
      rateLimitPerMinute: row.rate_limit_per_minute,
    };
    const entry: CachedKey = { principal, until: now + this.opts.apiKeyCacheSeconds * 1000, touchedAt: 0 };
    if (this.opts.apiKeyCacheSeconds > 0) {
      if (this.keyCache.size > 10_000) this.keyCache.clear();
      this.keyCache.set(hash, entry);
    }
    this.touch(entry, now);
    return principal;
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
  ): Promise<ProjectView> {
    const now = this.now();
    const id = generateId("proj_");
    await this.store.insertProject(trx, { id, organization_id: organizationId, name, created_at: now });
    return {
      project_id: id,
      organization_id: organizationId,
      name,
      created_at: iso(now)!,
      rate_limit_per_minute: null,
    };
  }

  private async insertApiKey(
    trx: Transaction<DB>,
    projectId: string,
    name: string | null,
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
    };
    await this.store.insertApiKey(trx, row);
    return {
      id: row.id,
      project_id: projectId,
      prefix: row.prefix,
      name,
      created_at: iso(now)!,
      last_used_at: null,
      revoked_at: null,
      api_key: apiKey,
    };
  }
}
