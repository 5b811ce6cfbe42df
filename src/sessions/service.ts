import type { Transaction } from "kysely";
import type { CatalogEntry } from "../catalog/schema.js";
import { generateSecret, generateUuid, PREFIX, safeEqual, sha256 } from "../crypto/tokens.js";
import { isoTime } from "../db/iso-time.js";
import { fromJson, toJson } from "../db/json.js";
import type { DB } from "../db/schema.js";
import { PorticoError } from "../errors.js";
import type { HistoryService } from "../history/service.js";
import { telemetry } from "../telemetry/telemetry.js";
import type { Principal } from "../tenancy/service.js";
import {
  type ConnectSession,
  type ConnectSessionCreate,
  type ConnectSessionTokenAuthLink,
  EXPIRES_IN,
} from "./schemas.js";
import type { SessionRow, SessionsStore } from "./store.js";

export type SessionsDeps = {
  /** Read at each call: the auth link is built on the configured public URL. */
  config: { publicUrl: string };
  /** The provider of an account of the project, or null when it has no such account (accounts slice). */
  accountProvider: (projectId: string, accountId: string) => Promise<string | null>;
  /** The catalog's entry for a provider key (catalog slice). */
  catalogEntry: (provider: string) => Pick<CatalogEntry, "key" | "categories"> | undefined;
  /** Counts sessions opened per day (the console's chart); in memory, never on the request's path. */
  history?: Pick<HistoryService, "sessionOpened">;
  /** Checks a session's own redirect URLs against its project's allowed origins (tenancy slice). */
  checkRedirects?: (
    projectId: string,
    urls: { success_url?: string | null; error_url?: string | null },
  ) => Promise<void>;
  now?: () => number;
};

/**
 * How long a resolved session is reused on this node. The hub calls several endpoints per screen
 * with one token, and a session row changes only when it links an account: `recordLink` drops
 * the entry on this node, and what depends on the link re-reads it (`AccountsService.sessionMayEdit`).
 */
const SESSION_CACHE_MS = 1000;
const SESSION_CACHE_MAX = 10_000;

export class SessionsService {
  private readonly cache = new Map<string, { row: SessionRow; until: number }>();

  constructor(
    private readonly store: SessionsStore,
    private readonly deps: SessionsDeps,
  ) {}

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  /** @see spec section 2.1: POST /connect_sessions -> 201 ConnectSessionTokenAuthLink */
  async create(principal: Principal, input: ConnectSessionCreate): Promise<ConnectSessionTokenAuthLink> {
    const entry = this.checkNamed(input);
    if (input.account_id) await this.checkAccount(principal, input, entry);
    if (input.portico) await this.deps.checkRedirects?.(principal.projectId, input.portico);
    const token = generateSecret(PREFIX.sessionToken);
    const now = this.now();
    const expiresIn = input.expires_in ?? EXPIRES_IN.default;
    const categories = input.categories?.length ? [...new Set(input.categories)] : null;
    const row = await this.store.insert({
      organization_id: principal.organizationId,
      project_id: principal.projectId,
      token_hash: sha256(token),
      origin_owner_id: input.origin_owner_id,
      origin_owner_name: input.origin_owner_name,
      origin_username: input.origin_username ?? null,
      categories: toJson(categories),
      // An empty provider or account_id means none, as the checks above read it.
      provider: input.provider || null,
      account_id: input.account_id || null,
      label: input.label ?? null,
      metadata: toJson(input.metadata ?? null),
      type: input.type ?? "production",
      multiple: input.multiple ? 1 : 0,
      integration_id: input.integration_id || null,
      external_trigger_token: generateUuid(),
      linked_account_id: null,
      success_url: input.portico?.success_url ?? null,
      error_url: input.portico?.error_url ?? null,
      expires_in: expiresIn,
      expires_at: now + expiresIn * 1000,
      created_at: now,
    });
    this.deps.history?.sessionOpened(principal.projectId);
    telemetry.count("portico_connect_sessions_created_total");
    // The answer is built from what was written, not parsed back from its JSON columns.
    const session = toWire(row, {
      categories,
      metadata: input.metadata ?? null,
    }) as ConnectSessionTokenAuthLink;
    session.token = token;
    session.auth_link_url = `${this.deps.config.publicUrl}/embedded/integrations?token=${encodeURIComponent(token)}`;
    return session;
  }

  /**
   * Refuses a session whose auth link could only show an empty hub: an unknown provider or
   * integration, or a provider and categories that exclude each other. Returns the one provider
   * the session names, for `checkAccount`. No I/O: a plain session pays no promise for it.
   */
  private checkNamed(input: ConnectSessionCreate): Pick<CatalogEntry, "key" | "categories"> | undefined {
    const byProvider = input.provider ? this.deps.catalogEntry(input.provider) : undefined;
    if (input.provider && !byProvider)
      throw new PorticoError("UNKNOWN_PROVIDER", `provider: "${input.provider}" is not in the catalog`);
    // An integration id (TS SDK 4.33) is a provider key here, as in the hub's integration_id.
    const byIntegration = input.integration_id ? this.deps.catalogEntry(input.integration_id) : undefined;
    if (input.integration_id && !byIntegration)
      throw new PorticoError(
        "VALIDATION",
        `integration_id: "${input.integration_id}" is not an integration (integration ids are provider keys)`,
      );
    if (byProvider && byIntegration && byProvider.key !== byIntegration.key)
      throw new PorticoError(
        "VALIDATION",
        `integration_id: ${byIntegration.key} is not the session's provider ${byProvider.key}`,
      );
    const entry = byProvider ?? byIntegration;
    if (entry && !input.account_id) this.checkCategories(entry, input.categories);
    return entry;
  }

  /** The same for an edit session: its account must exist and agree with the provider and categories. */
  private async checkAccount(
    principal: Principal,
    input: ConnectSessionCreate,
    entry: Pick<CatalogEntry, "key" | "categories"> | undefined,
  ): Promise<void> {
    const field = input.provider ? "provider" : "integration_id";
    const accountProvider = await this.deps.accountProvider(principal.projectId, input.account_id!);
    if (accountProvider === null)
      throw new PorticoError("ACCOUNT_NOT_FOUND", `account_id: account ${input.account_id} not found`);
    if (entry && accountProvider && entry.key !== accountProvider)
      throw new PorticoError(
        "VALIDATION",
        `${field}: account ${input.account_id} is a ${accountProvider} account, not ${entry.key}`,
      );
    const only = entry ?? this.deps.catalogEntry(accountProvider);
    if (only) this.checkCategories(only, input.categories);
  }

  private checkCategories(
    only: Pick<CatalogEntry, "key" | "categories">,
    categories: ConnectSessionCreate["categories"],
  ): void {
    if (categories?.length && !only.categories.some((c) => categories.includes(c)))
      throw new PorticoError(
        "VALIDATION",
        `categories: ${only.key} is in none of ${categories.join(", ")} (it is ${only.categories.join(", ")})`,
      );
  }

  /**
   * @see spec section 2.1: POST /connect_sessions/authenticate. Unknown, expired and other-project
   * tokens get one and the same answer, so the response tells nothing about which it was.
   */
  async authenticate(principal: Principal, token: string): Promise<ConnectSession> {
    const row = await this.resolve(token);
    if (!row || !safeEqual(row.project_id, principal.projectId))
      throw new PorticoError("INVALID_SESSION_TOKEN");
    telemetry.count("portico_connect_sessions_authenticated_total");
    return toWire(row);
  }

  /** Whether this node resolved the token to a live session moments ago (no lookup). */
  cached(token: string): boolean {
    if (!token.startsWith(PREFIX.sessionToken) || token.length > 200) return false;
    const entry = this.cache.get(sha256(token));
    const now = this.now();
    return !!entry && entry.until > now && entry.row.expires_at > now;
  }

  /** The live session a token names, or null when it is unknown or expired. */
  async resolve(token: string | undefined): Promise<SessionRow | null> {
    if (!token?.startsWith(PREFIX.sessionToken) || token.length > 200) return null;
    const hash = sha256(token);
    const now = this.now();
    const cached = this.cache.get(hash);
    let row: SessionRow | undefined;
    if (cached && cached.until > now) row = cached.row;
    else {
      row = await this.store.findByTokenHash(hash);
      if (row) {
        if (this.cache.size >= SESSION_CACHE_MAX) this.cache.clear();
        this.cache.set(hash, { row, until: now + SESSION_CACHE_MS });
      } else this.cache.delete(hash);
    }
    if (!row || row.expires_at <= now) return null;
    return row;
  }

  /**
   * The session a token names even after it expired (until housekeeping forgets it a day later):
   * the hosted page's error page wears its project's brand and sends the user to its error URL.
   */
  async findEvenExpired(token: string | undefined): Promise<SessionRow | null> {
    if (!token?.startsWith(PREFIX.sessionToken) || token.length > 200) return null;
    return (await this.store.findByTokenHash(sha256(token))) ?? null;
  }

  /** Marks the account a session linked first; false when another account got there first. */
  recordLink(sessionId: number, accountId: string, trx?: Transaction<DB>): Promise<boolean> {
    this.forget(sessionId);
    return this.store.setLinkedAccount(sessionId, accountId, trx);
  }

  private forget(sessionId: number): void {
    for (const [hash, entry] of this.cache) if (entry.row.id === sessionId) this.cache.delete(hash);
  }

  /** A session as it is now (after another request may have linked an account through it). */
  async reload(id: number): Promise<SessionRow | undefined> {
    this.forget(id);
    return this.store.get(id);
  }

  /** Housekeeping: forget sessions expired for more than a day. */
  purgeExpired(): Promise<number> {
    return this.store.deleteExpired(this.now() - 86_400_000);
  }
}

/** A session's answer from its row; `written` gives its JSON columns as the values they came from. */
export function toWire(
  row: SessionRow,
  written?: { categories: string[] | null; metadata: Record<string, unknown> | null },
): ConnectSession {
  return {
    id: Number(row.id),
    organization_id: Number(row.organization_id),
    project_id: row.project_id,
    origin_owner_id: row.origin_owner_id,
    origin_owner_name: row.origin_owner_name,
    origin_username: row.origin_username,
    categories: written ? written.categories : fromJson(row.categories),
    provider: row.provider,
    account_id: row.account_id,
    label: row.label,
    metadata: written ? written.metadata : fromJson(row.metadata),
    external_trigger_token: row.external_trigger_token,
    type: row.type === "test" ? "test" : "production",
    multiple: row.multiple === 1,
    integration_id: row.integration_id,
    expires_in: Number(row.expires_in),
    expires_at: isoTime(row.expires_at),
    created_at: isoTime(row.created_at),
  };
}
