import { sha256 } from "../crypto/tokens.js";
import { fromJson, toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import { type Actor, SYSTEM_ACTOR } from "../history/actor.js";
import type { HistoryService } from "../history/service.js";
import { sanitizeLogo } from "./logo-sanitizer.js";
import type { SettingsColumns, SettingsRow, SettingsStore } from "./settings-store.js";

/**
 * A project's hosted-page settings: its brand (display name, logo, accent colour, support link),
 * which the hosted page, its error pages and the hub's theme wear, and where the hosted page sends
 * the end user afterwards (a success URL, and a cancel or error URL), each on one of the project's
 * allowed origins. Set by `portico projects update` and the console.
 */
export type ProjectSettingsView = {
  project_id: string;
  name: string;
  display_name: string | null;
  accent_color: string | null;
  support_url: string | null;
  /** Where the logo is served (its digest in the query), or null. */
  logo_url: string | null;
  success_url: string | null;
  error_url: string | null;
  allowed_origins: string[];
};

export type SettingsPatch = {
  display_name?: string | null;
  accent_color?: string | null;
  support_url?: string | null;
  success_url?: string | null;
  error_url?: string | null;
  allowed_origins?: string[] | null;
};

export type ProjectLogo = { contentType: string; data: Buffer; sha256: string };

const COLOR = /^#[0-9a-fA-F]{6}$/;
const CACHE_MS = 2000;

const originOf = (value: string, field: string): string => {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new PorticoError("VALIDATION", `${field}: "${value}" is not an absolute http(s) URL`);
  return new URL(value).origin;
};

export class ProjectSettings {
  private readonly cache = new Map<string, { view: ProjectSettingsView; until: number }>();

  constructor(
    private readonly store: SettingsStore,
    private readonly opts: {
      publicUrl: string;
      /** PORTICO_REDIRECT_ORIGINS: the server's own list of the apps' origins, allowed for every project. */
      redirectOrigins: string[];
      history?: HistoryService;
    },
  ) {}

  async get(projectId: string): Promise<ProjectSettingsView> {
    const cached = this.cache.get(projectId);
    if (cached && cached.until > Date.now()) return cached.view;
    const row = await this.store.get(projectId);
    if (!row) throw new PorticoError("NOT_FOUND", `project ${projectId} not found`);
    const logo = await this.store.logoMeta(projectId);
    const view = this.view(row, logo?.sha256 ?? null);
    if (this.cache.size > 1000) this.cache.clear();
    this.cache.set(projectId, { view, until: Date.now() + CACHE_MS });
    return view;
  }

  private view(row: SettingsRow, logoSha: string | null): ProjectSettingsView {
    return {
      project_id: row.id,
      name: row.name,
      display_name: row.display_name,
      accent_color: row.accent_color,
      support_url: row.support_url,
      logo_url: logoSha
        ? `${this.opts.publicUrl}/embedded/brand/${encodeURIComponent(row.id)}/logo?v=${logoSha.slice(0, 16)}`
        : null,
      success_url: row.success_url,
      error_url: row.error_url,
      allowed_origins: fromJson<string[]>(row.allowed_origins) ?? [],
    };
  }

  /** Origins a redirect URL of this project may point at. */
  allowedOrigins(view: Pick<ProjectSettingsView, "allowed_origins">): Set<string> {
    return new Set([...view.allowed_origins, ...this.opts.redirectOrigins]);
  }

  /** Throws naming `field` unless the URL is http(s) on one of the project's allowed origins. */
  checkRedirect(view: Pick<ProjectSettingsView, "allowed_origins">, url: string, field: string): void {
    const origin = originOf(url, field);
    if (!this.allowedOrigins(view).has(origin))
      throw new PorticoError(
        "VALIDATION",
        `${field}: ${origin} is not among the project's allowed origins; add it first (portico projects update --allowed-origins ${origin})`,
      );
  }

  /** A session's own redirect URLs (the `portico` extension field), checked at creation. */
  async checkSessionRedirects(
    projectId: string,
    urls: { success_url?: string | null; error_url?: string | null },
  ) {
    if (!urls.success_url && !urls.error_url) return;
    const view = await this.get(projectId);
    if (urls.success_url) this.checkRedirect(view, urls.success_url, "portico.success_url");
    if (urls.error_url) this.checkRedirect(view, urls.error_url, "portico.error_url");
  }

  /**
   * Where the hosted page sends the end user: the session's own URLs, else the project's, each
   * only while its origin is still allowed (a setting changed since the session was made wins).
   */
  redirectsFor(view: ProjectSettingsView, session: { success_url: string | null; error_url: string | null }) {
    const allowed = this.allowedOrigins(view);
    const pick = (u: string | null) => (u && URL.canParse(u) && allowed.has(new URL(u).origin) ? u : null);
    return {
      success_url: pick(session.success_url) ?? pick(view.success_url),
      error_url: pick(session.error_url) ?? pick(view.error_url),
    };
  }

  async update(
    projectId: string,
    patch: SettingsPatch,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<ProjectSettingsView> {
    const current = await this.get(projectId);
    const set: SettingsColumns = {};
    const text = (v: string | null | undefined, field: string, max: number) => {
      if (v === undefined) return undefined;
      const t = v?.trim() ?? "";
      if (t.length > max) throw new PorticoError("VALIDATION", `${field}: at most ${max} characters`);
      return t || null;
    };
    const displayName = text(patch.display_name, "display_name", 100);
    if (displayName !== undefined) set.display_name = displayName;
    const color = text(patch.accent_color, "accent_color", 7);
    if (color !== undefined) {
      if (color !== null && !COLOR.test(color))
        throw new PorticoError("VALIDATION", `accent_color: "${color}" is not a #RRGGBB colour`);
      set.accent_color = color?.toUpperCase() ?? null;
    }
    const support = text(patch.support_url, "support_url", 2048);
    if (support !== undefined) {
      if (support !== null && !/^mailto:[^\s@]+@[^\s@]+$/.test(support)) originOf(support, "support_url");
      set.support_url = support;
    }
    let origins = current.allowed_origins;
    if (patch.allowed_origins !== undefined) {
      origins = [
        ...new Set(
          (patch.allowed_origins ?? [])
            .filter((o) => o.trim())
            .map((o) => originOf(o.trim(), "allowed_origins")),
        ),
      ];
      if (origins.length > 50) throw new PorticoError("VALIDATION", "allowed_origins: at most 50");
      set.allowed_origins = origins.length ? toJson(origins) : null;
    }
    for (const field of ["success_url", "error_url"] as const) {
      const url = text(patch[field], field, 2048);
      if (url === undefined) continue;
      if (url !== null) this.checkRedirect({ allowed_origins: origins }, url, field);
      set[field] = url;
    }
    if (Object.keys(set).length) {
      await this.store.transaction(async (trx) => {
        await this.store.update(trx, projectId, set);
        await this.opts.history?.audit(trx, {
          projectId,
          actor,
          action: "project.settings_updated",
          targetType: "project",
          targetId: projectId,
          detail: { ...set, allowed_origins: set.allowed_origins === undefined ? undefined : origins },
        });
      });
      this.cache.delete(projectId);
    }
    return this.get(projectId);
  }

  /** Stores a logo (sanitised: logo-sanitizer.ts), or removes it with null. */
  async setLogo(
    projectId: string,
    bytes: Buffer | null,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<ProjectSettingsView> {
    await this.get(projectId);
    const logo = bytes ? sanitizeLogo(bytes) : null;
    await this.store.transaction(async (trx) => {
      if (logo) {
        const digest = sha256(logo.data.toString("base64"));
        await this.store.putLogo(trx, {
          project_id: projectId,
          content_type: logo.contentType,
          data: logo.data.toString("base64"),
          sha256: digest,
          updated_at: Date.now(),
        });
      } else await this.store.deleteLogo(trx, projectId);
      await this.opts.history?.audit(trx, {
        projectId,
        actor,
        action: logo ? "project.logo_updated" : "project.logo_removed",
        targetType: "project",
        targetId: projectId,
        detail: logo ? { content_type: logo.contentType, bytes: logo.data.length } : null,
      });
    });
    this.cache.delete(projectId);
    this.logos.delete(projectId);
    return this.get(projectId);
  }

  private readonly logos = new Map<string, { logo: ProjectLogo | null; until: number }>();

  /** The logo's bytes, for the hosted page's image route. */
  async logo(projectId: string): Promise<ProjectLogo | null> {
    const cached = this.logos.get(projectId);
    if (cached && cached.until > Date.now()) return cached.logo;
    const row = await this.store.logo(projectId);
    const logo = row
      ? { contentType: row.content_type, data: Buffer.from(row.data, "base64"), sha256: row.sha256 }
      : null;
    if (this.logos.size > 100) this.logos.clear();
    this.logos.set(projectId, { logo, until: Date.now() + CACHE_MS * 5 });
    return logo;
  }
}
