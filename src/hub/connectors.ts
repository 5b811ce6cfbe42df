import type { Catalog } from "../catalog/catalog.js";
import type { CatalogEntry, CatalogField } from "../catalog/schema.js";
import type { IntegrationsService } from "../integrations/service.js";
import type { SessionRow } from "../sessions/store.js";

/** One integration in `GET /hub/connectors` (hub-api.md section 2.2). */
export type HubIntegration = {
  integration_id: string;
  provider: string;
  name: string;
  active: boolean;
  type: string;
  logo_url: string;
  version: string;
};

/** The "Falcon" connector config of `GET /hub/connectors/:id` (hub-api.md section 2.3). */
export type FalconConfig = {
  key: string;
  name: string;
  type: "oauth2" | "custom";
  grantType?: "authorization_code" | "client_credentials";
  configFields: Record<string, unknown>[];
  configNotices: Record<string, unknown>[];
  assets: { icon: string };
  support: { link: string | null; description: string | null };
};

/** Distinct session filters whose answer is kept per set of active providers. */
const MAX_FILTERS = 1000;

/**
 * Which integrations a session may offer: active on its project, and within its `provider` and
 * `categories` when it has them.
 */
export class HubConnectors {
  private readonly answers = new WeakMap<Set<string>, Map<string, string>>();

  constructor(
    private readonly catalog: Catalog,
    private readonly integrations: IntegrationsService,
    private readonly logoUrl: (entry: CatalogEntry) => string,
  ) {}

  private sessionCategories(session: SessionRow): Set<string> | null {
    const list = session.categories ? (JSON.parse(session.categories) as string[]) : null;
    return list?.length ? new Set(list) : null;
  }

  private allows(session: SessionRow, entry: CatalogEntry, categories: Set<string> | null): boolean {
    // integration_id (TS SDK 4.33) names an integration the way provider does: by provider key.
    const only = session.provider ?? session.integration_id;
    if (only && this.catalog.get(only)?.key !== entry.key) return false;
    return !categories || entry.categories.some((c) => categories.has(c));
  }

  /**
   * The integrations `GET /hub/connectors` answers with, as JSON text: what the session may offer,
   * each typed by the session's categories. Kept per set of active providers (which
   * `activeProviders` reuses for a second and replaces on any change) and per session filter: the
   * hub reads it on every screen, and serializing it was a sixth of the path's time.
   */
  async listJson(session: SessionRow, onlyProvider?: string): Promise<string> {
    // Only what end users can connect: an OAuth2 provider without a working app is left out.
    const active = await this.integrations.offeredProviders(session.project_id);
    let byFilter = this.answers.get(active);
    if (!byFilter) {
      byFilter = new Map();
      this.answers.set(active, byFilter);
    }
    const filter = JSON.stringify([
      session.provider,
      session.integration_id,
      session.categories,
      onlyProvider,
    ]);
    let json = byFilter.get(filter);
    if (json === undefined) {
      json = JSON.stringify(this.listFrom(active, session, onlyProvider));
      if (byFilter.size < MAX_FILTERS) byFilter.set(filter, json);
    }
    return json;
  }

  private listFrom(active: Set<string>, session: SessionRow, onlyProvider?: string): HubIntegration[] {
    // Parsed once for the whole answer: once per integration was most of this path's own time.
    const categories = this.sessionCategories(session);
    let entries: CatalogEntry[];
    if (onlyProvider !== undefined) {
      const entry = this.catalog.get(onlyProvider);
      entries = entry && active.has(entry.key) && this.allows(session, entry, categories) ? [entry] : [];
    } else {
      // The project's active providers, not the whole catalog: the list is as long as the answer.
      entries = this.catalog.pick(active).filter((e) => this.allows(session, e, categories));
    }
    return entries.map((e) => this.toIntegration(e, categories));
  }

  /** Provider key -> name of what the session may offer: the hosted page names what got connected. */
  async names(session: SessionRow): Promise<Record<string, string>> {
    const list = JSON.parse(await this.listJson(session)) as HubIntegration[];
    return Object.fromEntries(list.map((i) => [i.provider, i.name]));
  }

  /**
   * The entry for an integration id, if this session may use it. One that is active but whose
   * OAuth app is missing or broken throws the plain "not available" error end users get (the
   * cause is logged for the operator).
   */
  async find(session: SessionRow, integrationId: string): Promise<CatalogEntry | undefined> {
    const entry = this.catalog.get(integrationId);
    if (!entry || !this.allows(session, entry, this.sessionCategories(session))) return undefined;
    if (!(await this.integrations.isActive(session.project_id, entry.key))) return undefined;
    const problem = await this.integrations.problem(session.project_id, entry.key);
    if (problem) throw await this.integrations.unavailable(session.project_id, entry.key, problem);
    return entry;
  }

  private toIntegration(entry: CatalogEntry, categories: Set<string> | null): HubIntegration {
    return {
      integration_id: entry.key,
      provider: entry.key,
      name: entry.name,
      active: true,
      type: entry.categories.find((c) => categories?.has(c)) ?? entry.categories[0]!,
      logo_url: this.logoUrl(entry),
      version: "1",
    };
  }

  toConfig(entry: CatalogEntry): FalconConfig {
    const oauth = entry.auth.scheme === "oauth2" ? entry.auth.oauth2 : undefined;
    return {
      key: entry.key,
      name: entry.name,
      type: oauth ? "oauth2" : "custom",
      ...(oauth ? { grantType: oauth.grant } : {}),
      configFields: entry.auth.fields.map(toHubField),
      configNotices: entry.auth.notice
        ? [{ key: "notice", type: "info", description: entry.auth.notice, position: "top" }]
        : [],
      assets: { icon: this.logoUrl(entry) },
      support: { link: entry.docs, description: null },
    };
  }
}

function toHubField(f: CatalogField): Record<string, unknown> {
  return {
    key: f.key,
    label: f.label,
    type: f.type,
    required: f.required,
    secret: f.secret !== false,
    ...(f.placeholder ? { placeholder: f.placeholder } : {}),
    ...(f.description ? { description: f.description } : {}),
    ...(f.validation
      ? { validation: { type: "html-pattern", pattern: f.validation.pattern, error: f.validation.error } }
      : {}),
    ...(f.options ? { options: f.options } : {}),
    ...(f.value ? { value: f.value } : {}),
  };
}
