import dns from "node:dns/promises";
import net from "node:net";
import type { Transaction } from "kysely";
import type { LinkedAccount } from "../accounts/schemas.js";
import type { AccountEvent } from "../accounts/service.js";
import { aad, type Vault } from "../crypto/envelope.js";
import { generateId } from "../crypto/tokens.js";
import { fromJson, toJson } from "../db/json.js";
import type { DB } from "../db/schema.js";
import { PorticoError } from "../errors.js";
import { type Actor, SYSTEM_ACTOR } from "../history/actor.js";
import type { AuditInput, HistoryService } from "../history/service.js";
import { isPrivateAddress, type Outbound } from "../http/outbound.js";
import { newWebhookSecret, signedHeaders, WEBHOOK_USER_AGENT } from "./signing.js";
import {
  type DeliveryState,
  type EndpointRow,
  type EventRow,
  TEST_EVENT,
  type WebhooksStore,
} from "./store.js";

export const EVENT_TYPES = [
  "account.created",
  "account.updated",
  "account.deleted",
  "account.error",
  "account.recovered",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An endpoint as the API and CLI show it; the secret only once, when it is made. */
export type EndpointView = {
  id: string;
  project_id: string;
  url: string;
  description: string | null;
  events: string[] | null;
  status: string;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
};

/** The JSON body of an account event (never credentials: the account is the public LinkedAccount). */
export type AccountEventPayload = {
  id: string;
  event: AccountEvent;
  event_date: string;
  project_id: string;
  account_id: string;
  provider: string;
  origin_owner_id: string;
  origin_owner_name: string;
  origin_username: string | null;
  account: LinkedAccount;
};

export type WebhooksOptions = {
  allowPrivateNetworks: boolean;
  secretOverlapSeconds: number;
  now?: () => number;
  /** Audits endpoint changes in their transactions. */
  history?: HistoryService;
};

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * How much a replay may queue: a call takes at most `perCall` events (the rest by `next_since`),
 * and a project at most `perMinute` over all calls, on every node together.
 */
export const REPLAY_LIMITS = { perCall: 1000, perMinute: 10_000 } as const;

/**
 * Webhook endpoints per project and the events outbox: `record` runs inside the transaction of
 * the account change it announces and writes the event with one pending delivery per subscribed
 * endpoint, so an event is never lost and never announced for a change that rolled back.
 */
export class WebhooksService {
  constructor(
    private readonly store: WebhooksStore,
    private readonly vault: Vault,
    private readonly outbound: Outbound,
    private readonly opts: WebhooksOptions,
  ) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  /** Runs a change and its audit entry in one transaction. */
  private audited<T>(
    audit: Omit<AuditInput, "targetType">,
    fn: (trx: Transaction<DB>) => Promise<T>,
  ): Promise<T> {
    return this.store.transaction(async (trx) => {
      const result = await fn(trx);
      await this.opts.history?.audit(trx, { ...audit, targetType: "webhook_endpoint" });
      return result;
    });
  }

  private secretAad = (id: string, column: "secret" | "previous_secret") =>
    aad("webhook_endpoints", id, column);

  /**
   * An endpoint URL must be http(s) and, unless private networks are allowed, must not name or
   * resolve to a loopback, link-local or private address. Delivery checks again after resolution
   * (the DNS answer may change); a name that does not resolve yet is accepted here.
   */
  async checkUrl(raw: string): Promise<URL> {
    if (!URL.canParse(raw)) throw new PorticoError("VALIDATION", "url: must be an absolute http(s) URL");
    const url = new URL(raw);
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw new PorticoError("VALIDATION", "url: must be http or https");
    if (url.username || url.password) throw new PorticoError("VALIDATION", "url: must not carry credentials");
    if (this.opts.allowPrivateNetworks) return url;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const refuse = () =>
      new PorticoError(
        "VALIDATION",
        `url: ${url.host} is a loopback, link-local or private address (PORTICO_ALLOW_PRIVATE_NETWORKS is off)`,
      );
    if (host === "localhost" || host.endsWith(".localhost")) throw refuse();
    if (net.isIP(host)) {
      if (isPrivateAddress(host)) throw refuse();
      return url;
    }
    const addresses = await dns.lookup(host, { all: true }).catch(() => []);
    if (addresses.some((a) => isPrivateAddress(a.address))) throw refuse();
    return url;
  }

  private checkEvents(events: string[] | undefined | null): string[] | null {
    if (!events?.length) return null;
    const bad = events.filter((e) => !(EVENT_TYPES as readonly string[]).includes(e));
    if (bad.length)
      throw new PorticoError(
        "VALIDATION",
        `events: unknown event ${bad.join(", ")} (use ${EVENT_TYPES.join(", ")})`,
      );
    return [...new Set(events)];
  }

  async add(
    projectId: string,
    input: { url: string; description?: string | null; events?: string[] | null },
    actor: Actor = SYSTEM_ACTOR,
  ) {
    const url = await this.checkUrl(input.url);
    const events = this.checkEvents(input.events);
    const now = this.now();
    const id = generateId("we_");
    const secret = newWebhookSecret();
    const row: EndpointRow = {
      id,
      project_id: projectId,
      url: url.toString(),
      description: input.description ?? null,
      events: toJson(events),
      secret: this.vault.encrypt(secret, this.secretAad(id, "secret")),
      previous_secret: null,
      previous_secret_expires_at: null,
      status: "active",
      disabled_reason: null,
      failing_since: null,
      consecutive_failures: 0,
      retry_after: null,
      created_at: now,
      updated_at: now,
    };
    await this.audited(
      {
        projectId,
        actor,
        action: "webhook.created",
        targetId: id,
        detail: { url: row.url, events },
      },
      (trx) => this.store.insertEndpoint(row, trx),
    );
    return { ...toView(row), secret };
  }

  async list(projectId: string): Promise<EndpointView[]> {
    return (await this.store.listEndpoints(projectId)).map(toView);
  }

  /**
   * The project an endpoint belongs to, for the CLI, which acts on the whole database: an
   * endpoint id names its project. Never used by the HTTP API, which is scoped to the caller's.
   */
  async projectOfEndpoint(id: string): Promise<string | null> {
    return (await this.store.endpointById(id))?.project_id ?? null;
  }

  async get(projectId: string, id: string): Promise<EndpointView> {
    return toView(await this.require(projectId, id));
  }

  async remove(projectId: string, id: string, actor: Actor = SYSTEM_ACTOR): Promise<EndpointView> {
    const row = await this.require(projectId, id);
    await this.audited(
      { projectId, actor, action: "webhook.removed", targetId: id, detail: { url: row.url } },
      (trx) => this.store.deleteEndpoint(trx, projectId, id),
    );
    return toView(row);
  }

  /** Re-enables a disabled endpoint; its pending deliveries resume at once. */
  async enable(projectId: string, id: string, actor: Actor = SYSTEM_ACTOR): Promise<EndpointView> {
    await this.require(projectId, id);
    await this.audited({ projectId, actor, action: "webhook.enabled", targetId: id }, (trx) =>
      this.store.updateEndpoint(
        id,
        {
          status: "active",
          disabled_reason: null,
          failing_since: null,
          consecutive_failures: 0,
          retry_after: null,
          updated_at: this.now(),
        },
        trx,
      ),
    );
    return this.get(projectId, id);
  }

  /** Pauses an endpoint: its deliveries wait (and are kept) until it is enabled again. */
  async disable(projectId: string, id: string, actor: Actor = SYSTEM_ACTOR): Promise<EndpointView> {
    await this.require(projectId, id);
    await this.audited({ projectId, actor, action: "webhook.disabled", targetId: id }, (trx) =>
      this.store.updateEndpoint(
        id,
        { status: "disabled", disabled_reason: "disabled by an operator", updated_at: this.now() },
        trx,
      ),
    );
    return this.get(projectId, id);
  }

  /**
   * A new secret, shown once. The old one keeps signing (as a second signature) for the
   * configured overlap, so receivers can switch without dropping a delivery.
   */
  async rotateSecret(projectId: string, id: string, actor: Actor = SYSTEM_ACTOR) {
    const row = await this.require(projectId, id);
    const now = this.now();
    const secret = newWebhookSecret();
    const old = this.vault.decrypt(row.secret, this.secretAad(id, "secret"));
    await this.audited({ projectId, actor, action: "webhook.secret_rotated", targetId: id }, (trx) =>
      this.store.updateEndpoint(
        id,
        {
          secret: this.vault.encrypt(secret, this.secretAad(id, "secret")),
          previous_secret: this.vault.encrypt(old, this.secretAad(id, "previous_secret")),
          previous_secret_expires_at: now + this.opts.secretOverlapSeconds * 1000,
          updated_at: now,
        },
        trx,
      ),
    );
    return {
      ...(await this.get(projectId, id)),
      secret,
      previous_secret_valid_until: iso(now + this.opts.secretOverlapSeconds * 1000),
    };
  }

  /** Every secret an endpoint signs with right now, newest first. */
  signingSecrets(
    row: Pick<EndpointRow, "id" | "secret" | "previous_secret" | "previous_secret_expires_at">,
  ): string[] {
    const out = [this.vault.decrypt(row.secret, this.secretAad(row.id, "secret"))];
    if (row.previous_secret && (row.previous_secret_expires_at ?? 0) > this.now()) {
      out.push(this.vault.decrypt(row.previous_secret, this.secretAad(row.id, "previous_secret")));
    }
    return out;
  }

  /** The outbox write: called by the accounts service inside the changing transaction. */
  async record(
    trx: Transaction<DB>,
    event: AccountEvent,
    account: LinkedAccount,
    projectId: string,
  ): Promise<void> {
    const now = this.now();
    const id = generateId("msg_", 16);
    const payload: AccountEventPayload = {
      id,
      event,
      event_date: new Date(now).toISOString(),
      project_id: projectId,
      account_id: account.id,
      provider: account.provider,
      origin_owner_id: account.origin_owner_id,
      origin_owner_name: account.origin_owner_name,
      origin_username: account.origin_username,
      account,
    };
    await this.store.insertEvent(trx, {
      id,
      project_id: projectId,
      type: event,
      payload: JSON.stringify(payload),
      created_at: now,
    });
    const endpoints = (await this.store.listEndpoints(projectId, trx)).filter((e) => subscribed(e, event));
    await this.store.insertDeliveries(
      trx,
      endpoints.map((e) => delivery(id, e.id, projectId, now)),
    );
  }

  /**
   * Queues events again for every subscribed endpoint (or one): one event by id, or the events of a
   * time range, oldest first and at most `maxEvents` (REPLAY_LIMITS.perCall) per call; when the
   * range holds more, `next_since` is where the next call should start.
   */
  async replay(
    projectId: string,
    q: { eventId?: string; from?: number; to?: number; endpointId?: string; maxEvents?: number },
    actor: Actor = SYSTEM_ACTOR,
  ) {
    let events: EventRow[];
    let nextSince: string | null = null;
    if (q.eventId) {
      const ev = await this.store.getEvent(projectId, q.eventId);
      if (!ev) throw new PorticoError("NOT_FOUND", `event ${q.eventId} not found`);
      events = [ev];
    } else {
      if (q.from === undefined)
        throw new PorticoError("VALIDATION", "give an event id, or a time range with since");
      const max = Math.min(q.maxEvents ?? REPLAY_LIMITS.perCall, REPLAY_LIMITS.perCall);
      events = await this.store.eventsBetween(projectId, q.from, q.to ?? this.now(), max + 1);
      if (events.length > max) nextSince = iso(events.pop()!.created_at);
    }
    const endpoints = (await this.store.listEndpoints(projectId)).filter(
      (e) => !q.endpointId || e.id === q.endpointId,
    );
    if (q.endpointId && !endpoints.length)
      throw new PorticoError("NOT_FOUND", `endpoint ${q.endpointId} not found`);
    const now = this.now();
    const rows = events.flatMap((ev) =>
      endpoints.filter((e) => subscribed(e, ev.type)).map((e) => delivery(ev.id, e.id, projectId, now)),
    );
    await this.audited(
      {
        projectId,
        actor,
        action: "webhook.replayed",
        targetId: q.endpointId ?? null,
        detail: {
          ...(q.eventId ? { event_id: q.eventId } : {}),
          ...(q.from !== undefined ? { since: new Date(q.from).toISOString() } : {}),
          ...(q.to !== undefined ? { until: new Date(q.to).toISOString() } : {}),
          events: events.length,
          deliveries: rows.length,
        },
      },
      (trx) => this.store.insertDeliveries(trx, rows),
    );
    return { events: events.length, deliveries: rows.length, next_since: nextSince };
  }

  /**
   * Sends a test event to one endpoint, whatever events it subscribes to: a delivery like any
   * other (signed, retried, listed), of an event that announces no account change.
   */
  async sendTest(
    projectId: string,
    endpointId: string,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<{ event_id: string; delivery_id: string }> {
    const endpoint = await this.require(projectId, endpointId);
    if (endpoint.status !== "active")
      throw new PorticoError(
        "CONFLICT",
        `webhook endpoint ${endpointId} is disabled: enable it to send a test event`,
      );
    const now = this.now();
    const id = generateId("msg_", 16);
    const row = delivery(id, endpointId, projectId, now);
    const payload = {
      id,
      event: TEST_EVENT,
      event_date: new Date(now).toISOString(),
      project_id: projectId,
      endpoint_id: endpointId,
      message: "A test event from Portico. No account changed.",
    };
    await this.audited(
      { projectId, actor, action: "webhook.test_sent", targetId: endpointId, detail: { event_id: id } },
      async (trx) => {
        await this.store.insertEvent(trx, {
          id,
          project_id: projectId,
          type: TEST_EVENT,
          payload: JSON.stringify(payload),
          created_at: now,
        });
        await this.store.insertDeliveries(trx, [row]);
      },
    );
    return { event_id: id, delivery_id: row.id };
  }

  /**
   * One delivery with what it sends: the event's JSON body and the headers of its last attempt
   * (or of the next one). Signatures are left out: they are the endpoint's secret at work.
   */
  async delivery(projectId: string, deliveryId: string) {
    const [d] = await this.deliveries(projectId, { deliveryId, limit: 1 });
    if (!d) throw new PorticoError("NOT_FOUND", `delivery ${deliveryId} not found`);
    const [event, endpoint] = await Promise.all([
      this.store.getEvent(projectId, d.event_id),
      this.store.getEndpoint(projectId, d.endpoint_id),
    ]);
    const body = event?.payload ?? "null";
    const at = d.attempts.at(-1)?.at;
    const hidden = "(not shown: made with the endpoint's signing secret)";
    const headers: Record<string, string> = {
      ...signedHeaders(["whsec_"], d.event_id, body, at ? Date.parse(at) : this.now()),
      "user-agent": WEBHOOK_USER_AGENT,
    };
    for (const name of ["webhook-signature", "x-stackone-signature"]) headers[name] = hidden;
    if (!at) headers["webhook-timestamp"] = "(the time of the attempt)";
    return {
      delivery: d,
      endpoint_url: endpoint?.url ?? "",
      payload: redactSecrets(fromJson(body)),
      headers,
    };
  }

  async deliveries(
    projectId: string,
    f: { endpointId?: string; eventId?: string; deliveryId?: string; state?: DeliveryState; limit?: number },
  ) {
    const rows = await this.store.listDeliveries(projectId, { ...f, limit: Math.min(f.limit ?? 50, 1000) });
    const attempts = await this.store.attemptsOf(rows.map((r) => r.id));
    return rows.map((r) => ({
      id: r.id,
      event_id: r.event_id,
      endpoint_id: r.endpoint_id,
      type: r.type,
      status: r.status,
      attempts: attempts
        .filter((a) => a.delivery_id === r.id)
        .map((a) => ({
          attempt: a.attempt,
          at: iso(a.started_at),
          duration_ms: a.duration_ms,
          status_code: a.status_code,
          error: a.error,
        })),
      next_attempt_at: r.status === "pending" ? iso(r.next_attempt_at) : null,
      delivered_at: iso(r.delivered_at),
      created_at: iso(r.created_at),
    }));
  }

  /**
   * The overview's numbers: endpoints by state, and of the deliveries created since `from` how
   * many were delivered, are retrying (tried and still pending), waiting or failed for good. The
   * success rate is delivered over everything tried; the backlog is every pending delivery.
   */
  async stats(projectId: string, from: number) {
    const [endpoints, counts, backlog] = await Promise.all([
      this.store.listEndpoints(projectId),
      this.store.deliveryCounts(projectId, from),
      this.store.pendingCount(projectId),
    ]);
    const sum = (pred: (c: (typeof counts)[number]) => boolean) =>
      counts.filter(pred).reduce((n, c) => n + c.count, 0);
    const delivered = sum((c) => c.status === "delivered");
    const failed = sum((c) => c.status === "failed");
    const retrying = sum((c) => c.status === "pending" && c.tried);
    const waiting = sum((c) => c.status === "pending" && !c.tried);
    const tried = delivered + failed + retrying;
    return {
      endpoints: {
        total: endpoints.length,
        active: endpoints.filter((e) => e.status === "active").length,
        disabled: endpoints.filter((e) => e.status !== "active").length,
      },
      since: iso(from)!,
      delivered,
      retrying,
      waiting,
      failed,
      success_rate: tried ? delivered / tried : null,
      backlog,
    };
  }

  /** Every project's deliveries waiting, and since when the oldest due one is (the operators' metrics). */
  backlog(now = Date.now()) {
    return this.store.backlog(now);
  }

  private async require(projectId: string, id: string): Promise<EndpointRow> {
    const row = await this.store.getEndpoint(projectId, id);
    if (!row) throw new PorticoError("NOT_FOUND", `webhook endpoint ${id} not found`);
    return row;
  }

  /** Used by the worker to reach the network with the same guard as the proxy. */
  get client(): Outbound {
    return this.outbound;
  }
}

const subscribed = (e: EndpointRow, type: string) => {
  // A test event goes to the endpoint it is sent (or replayed) to, whatever it subscribes to.
  if (type === TEST_EVENT) return true;
  const events = fromJson<string[]>(e.events);
  return !events || events.includes(type);
};

const SECRET_KEY = /secret|password|token|credential|authorization|api[-_]?key|private[-_]?key/i;

/**
 * A payload as the console shows it: any value under a key that names a secret is hidden. Account
 * events carry the public account only; this holds should a provider's metadata ever say more.
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEY.test(k) && v !== null ? "(hidden)" : redactSecrets(v),
    ]),
  );
}

const delivery = (eventId: string, endpointId: string, projectId: string, now: number) => ({
  id: generateId("whd_", 16),
  event_id: eventId,
  endpoint_id: endpointId,
  project_id: projectId,
  status: "pending",
  attempts: 0,
  next_attempt_at: now,
  lease_until: null,
  lease_owner: null,
  last_status: null,
  last_error: null,
  delivered_at: null,
  created_at: now,
});

function toView(row: EndpointRow): EndpointView {
  return {
    id: row.id,
    project_id: row.project_id,
    url: row.url,
    description: row.description,
    events: fromJson<string[]>(row.events),
    status: row.status,
    disabled_reason: row.disabled_reason,
    failing_since: iso(row.failing_since),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
  };
}
