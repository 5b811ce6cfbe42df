import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { generateId } from "../crypto/tokens.js";
import type { DatabaseAvailability } from "../db/availability.js";
import { PorticoError } from "../errors.js";
import { telemetry } from "../telemetry/telemetry.js";
import type { WebhooksService } from "./service.js";
import { signedHeaders, WEBHOOK_USER_AGENT } from "./signing.js";
import type { ClaimedDelivery, WebhooksStore } from "./store.js";

export type WebhookWorkerOptions = {
  timeoutMs: number;
  /** First retry delay; each next one doubles (with jitter), capped at 6 hours. */
  retryBaseMs: number;
  /** A delivery still failing after this long is given up (at least 24 hours). */
  maxAgeMs: number;
  /** An endpoint failing continuously for this long is disabled. */
  disableAfterMs: number;
  /** Deliveries in flight at once on this node, over all endpoints. */
  concurrency?: number;
  logger: Logger;
  /** Counts a lane that failed because the database is down in the outage, instead of logging it. */
  availability?: DatabaseAvailability;
};

const MAX_RETRY_DELAY_MS = 6 * 3600_000;
const MAX_ENDPOINT_BACKOFF_MS = 10 * 60_000;

const jitter = (ms: number) => Math.round(ms * (0.75 + Math.random() * 0.5));

/** Delay before retry n (1-based) of a delivery: exponential with jitter. */
export const retryDelay = (base: number, attempt: number) =>
  jitter(Math.min(base * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS));

/**
 * Delivers webhook events at least once. Each pass claims due deliveries under a lease (a crashed
 * node's leases lapse and another node takes them over), at most a few per endpoint, and sends
 * each endpoint's deliveries in its own lane so a slow or dead endpoint never holds up the
 * others. A failing endpoint backs off as a whole (one probe at a time instead of a timeout per
 * queued event), and is disabled after failing continuously for `disableAfterMs`.
 */
export class WebhookWorker {
  readonly owner = `w_${randomBytes(8).toString("hex")}`;
  private readonly lanes = new Map<string, Promise<void>>();
  private readonly concurrency: number;
  private stopping = false;

  constructor(
    private readonly store: WebhooksStore,
    private readonly webhooks: WebhooksService,
    private readonly opts: WebhookWorkerOptions,
  ) {
    this.concurrency = opts.concurrency ?? 32;
  }

  private get leaseMs(): number {
    return this.opts.timeoutMs * 2 + 5_000;
  }

  /** One pass: claims work for idle endpoints and starts their lanes; does not wait for them. */
  async tick(): Promise<number> {
    const free = this.concurrency - this.lanes.size;
    if (free <= 0 || this.stopping) return 0;
    const claimed = await this.store.claim(this.owner, Date.now(), this.leaseMs, free * 5, 5, [
      ...this.lanes.keys(),
    ]);
    const byEndpoint = new Map<string, ClaimedDelivery[]>();
    for (const d of claimed) byEndpoint.set(d.endpoint_id, [...(byEndpoint.get(d.endpoint_id) ?? []), d]);
    for (const [endpointId, deliveries] of byEndpoint) {
      // A lane that fails (a secret this node's keyring cannot read, a lost database connection)
      // leaves its deliveries leased: another pass or node retries them when the lease ends. It
      // must never take the process down with it.
      const lane = this.runLane(endpointId, deliveries)
        .catch((err) => {
          if (this.opts.availability?.report(err)) return;
          this.opts.logger.error(
            { endpoint: endpointId, err: (err as Error).message },
            "webhook delivery lane failed; its deliveries will be retried",
          );
        })
        .finally(() => this.lanes.delete(endpointId));
      this.lanes.set(endpointId, lane);
    }
    return claimed.length;
  }

  /** Waits for every lane in flight (shutdown, tests). */
  async drain(): Promise<void> {
    while (this.lanes.size) await Promise.all([...this.lanes.values()]);
  }

  /**
   * Shutdown: each lane finishes the delivery it is sending and hands the rest of its batch back
   * (lease released, so another node sends them at once rather than when the lease lapses).
   */
  stop(): Promise<void> {
    this.stopping = true;
    return this.drain();
  }

  private async runLane(endpointId: string, deliveries: ClaimedDelivery[]): Promise<void> {
    const endpoint = await this.store.endpointById(endpointId);
    for (const [i, d] of deliveries.entries()) {
      if (this.stopping) {
        for (const rest of deliveries.slice(i)) await this.store.finishDelivery(rest.id, this.owner, {});
        return;
      }
      if (endpoint?.status !== "active") {
        await this.store.finishDelivery(d.id, this.owner, {});
        continue;
      }
      const ok = await telemetry.span("webhook delivery", { "portico.webhook.attempt": d.attempts + 1 }, () =>
        this.deliver(d, this.webhooks.signingSecrets(endpoint)),
      );
      const fresh = await this.store.endpointById(endpointId);
      if (!fresh) return;
      if (ok) {
        if (fresh.failing_since !== null || fresh.consecutive_failures > 0) {
          await this.store.updateEndpoint(endpointId, {
            failing_since: null,
            consecutive_failures: 0,
            retry_after: null,
            updated_at: Date.now(),
          });
        }
        continue;
      }
      await this.endpointFailed(fresh.id, fresh.failing_since, fresh.consecutive_failures);
      // The endpoint is backing off: hand the rest of this batch back without an attempt.
      for (const rest of deliveries.slice(i + 1)) await this.store.finishDelivery(rest.id, this.owner, {});
      return;
    }
  }

  private async endpointFailed(id: string, failingSince: number | null, consecutive: number): Promise<void> {
    const now = Date.now();
    const since = failingSince ?? now;
    const failures = consecutive + 1;
    if (now - since >= this.opts.disableAfterMs) {
      await this.store.updateEndpoint(id, {
        status: "disabled",
        disabled_reason: `every delivery failed since ${new Date(since).toISOString()}`,
        consecutive_failures: failures,
        updated_at: now,
      });
      this.opts.logger.warn(
        { endpoint_id: id, failing_since: new Date(since).toISOString() },
        "webhook endpoint disabled after failing continuously",
      );
      return;
    }
    await this.store.updateEndpoint(id, {
      failing_since: since,
      consecutive_failures: failures,
      retry_after:
        now +
        Math.min(jitter(this.opts.retryBaseMs * 2 ** Math.min(failures - 1, 20)), MAX_ENDPOINT_BACKOFF_MS),
      updated_at: now,
    });
  }

  /** One attempt of one delivery; records it and schedules the next one on failure. */
  private async deliver(d: ClaimedDelivery, secrets: string[]): Promise<boolean> {
    const started = Date.now();
    const attempt = d.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.webhooks.client.request({
        method: "POST",
        url: new URL(d.url),
        headers: {
          ...signedHeaders(secrets, d.event_id, d.payload, started),
          "user-agent": WEBHOOK_USER_AGENT,
        },
        body: d.payload,
        timeoutMs: this.opts.timeoutMs,
        maxBodyBytes: 64 * 1024,
      });
      status = res.status;
      if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (err) {
      error = err instanceof PorticoError ? err.message : (err as Error).message;
    }
    const now = Date.now();
    await this.store.recordAttempt({
      id: generateId("wha_", 16),
      delivery_id: d.id,
      attempt,
      started_at: started,
      duration_ms: now - started,
      status_code: status,
      error,
      worker: this.owner,
    });
    if (!error) {
      await this.store.finishDelivery(d.id, this.owner, {
        status: "delivered",
        attempts: attempt,
        last_status: status,
        last_error: null,
        delivered_at: now,
      });
      telemetry.count("portico_webhook_deliveries_total", { outcome: "delivered" });
      return true;
    }
    const giveUp = now - d.created_at >= this.opts.maxAgeMs;
    await this.store.finishDelivery(d.id, this.owner, {
      status: giveUp ? "failed" : "pending",
      attempts: attempt,
      last_status: status,
      last_error: error,
      next_attempt_at: now + retryDelay(this.opts.retryBaseMs, attempt),
    });
    telemetry.count("portico_webhook_deliveries_total", { outcome: giveUp ? "failed" : "retry" });
    if (giveUp)
      this.opts.logger.warn(
        { delivery_id: d.id, event_id: d.event_id, attempts: attempt },
        "webhook delivery given up",
      );
    return false;
  }
}
