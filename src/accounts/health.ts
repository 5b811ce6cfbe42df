import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Catalog } from "../catalog/catalog.js";
import type { CatalogEntry } from "../catalog/schema.js";
import type { TemplateValues } from "../catalog/template.js";
import { toJson } from "../db/json.js";
import { PorticoError } from "../errors.js";
import type { Actor } from "../history/actor.js";
import type { HealthColumns, HealthStore } from "./health-store.js";
import type { StatusReason } from "./schemas.js";
import type { AccountsService } from "./service.js";
import type { AccountRow, AccountsStore } from "./store.js";
import { type Probe, probeCredentials, rejectsCredentials } from "./verify-credentials.js";

/**
 * Connection health: every active account whose catalog entry has a verification request is
 * checked again every PORTICO_HEALTH_CHECK_INTERVAL_HOURS (jittered), and proxied calls count as
 * checks too. A refusal of the credentials (a 401, or the entry's `reject_status`) is confirmed by
 * a second verification request before the account goes to `error` with a `status_reasons`
 * entry; a later check or call that succeeds brings it back to `active`. Both are announced like
 * any change of an account: `account.updated` (with `account.error` / `account.recovered`) and an
 * account event, in the transaction that makes the change. Nothing here adds a field to
 * StackOne's LinkedAccount: what a check found is Portico's own (`HealthView`).
 */

/** Who the history names for what the checks do. */
export const HEALTH_ACTOR: Actor = Object.freeze({ type: "scheduler", id: null, name: "health check" });

/** The `status_reasons` code of an account whose provider refuses its credentials. */
export const REJECTED_CODE = "credentials_rejected";

export type HealthResult = "ok" | "rejected" | "inconclusive" | "refresh_failed" | "unsupported";

export type HealthView = {
  account_id: string;
  status: string;
  /** False when the provider's catalog entry has no verification request. */
  checkable: boolean;
  last_checked_at: string | null;
  result: string | null;
  detail: string | null;
  next_check_at: string | null;
};

/** Template values for calling the provider as the account (the token manager's `valuesFor`). */
export type CredentialValues = (
  row: AccountRow,
  opts: { force?: boolean; actor?: Actor },
) => Promise<{ row: AccountRow; values: TemplateValues }>;

export type HealthOptions = {
  /** Between two checks of an account; 0 turns scheduled checks off (calls still count). */
  intervalMs: number;
  /** Checks of one provider under way at once, over every node. */
  concurrencyPerProvider: number;
  logger: Logger;
  /** How long a check may hold its account's lease. */
  leaseMs?: number;
  /** Pause before the verification request that confirms a refusal. */
  confirmDelayMs?: number;
};

/** A check after `intervalMs`, give or take a tenth, so accounts linked together spread out. */
export const nextCheckAt = (now: number, intervalMs: number): number =>
  Math.round(now + intervalMs * (0.9 + Math.random() * 0.2));

const HOUR = 3_600_000;
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The account is in `error` because a check found its credentials refused. */
const rejectedByCheck = (row: AccountRow) => row.status_reasons?.includes(`"${REJECTED_CODE}"`) ?? false;

export class HealthChecks {
  /** Identifies this process as a lease holder. */
  readonly owner = `h_${randomBytes(8).toString("hex")}`;
  private readonly leaseMs: number;
  /** Accounts this process is already looking at because of a proxied call. */
  private readonly watching = new Set<string>();

  constructor(
    private readonly accounts: AccountsService,
    private readonly store: AccountsStore,
    private readonly health: HealthStore,
    private readonly catalog: Catalog,
    private readonly valuesFor: CredentialValues,
    private readonly opts: HealthOptions,
  ) {
    this.leaseMs = opts.leaseMs ?? 120_000;
  }

  /** Providers whose accounts can be checked: those with a verification request. */
  private checkable(): string[] {
    return this.catalog
      .list()
      .filter((e) => e.verify)
      .map((e) => e.key);
  }

  private next(now: number, result: HealthResult): number | null {
    if (this.opts.intervalMs <= 0 || result === "unsupported") return null;
    // An answer that said nothing is asked again sooner than a clear one.
    const interval = result === "inconclusive" ? Math.min(this.opts.intervalMs, HOUR) : this.opts.intervalMs;
    return nextCheckAt(now, interval);
  }

  /**
   * One pass of the scheduler (workers/): schedules accounts that have no check yet, then runs
   * the due checks, at most `concurrencyPerProvider` per provider under way over all nodes.
   */
  async runDue(): Promise<number> {
    if (this.opts.intervalMs <= 0) return 0;
    const providers = this.checkable();
    const now = Date.now();
    await this.health.scheduleUnscheduled(providers, now, this.opts.intervalMs, 1000);
    // At most 25 providers a pass: a node runs at most 25 x the per-provider bound checks at once.
    const due = await this.health.dueProviders(providers, now, 25);
    let done = 0;
    await Promise.all(
      due.map(async (provider) => {
        const claimed = await this.health.claimDue(
          provider,
          this.owner,
          now,
          this.leaseMs,
          this.opts.concurrencyPerProvider,
        );
        await Promise.all(
          claimed.map(async (c) => {
            try {
              const row = await this.accounts.rowForRefresh(c.project_id, c.id);
              if (row) await this.checkRow(row, HEALTH_ACTOR);
              done++;
            } catch (err) {
              this.opts.logger.warn({ account_id: c.id, err: (err as Error).message }, "health check failed");
            } finally {
              await this.health.release(c.id, this.owner);
            }
          }),
        );
      }),
    );
    return done;
  }

  /**
   * A check asked for now (`portico accounts check`, the API, the console): runs at once, whatever
   * the provider's other checks, but never beside another check of the same account.
   */
  async check(projectId: string, id: string, actor: Actor): Promise<HealthView> {
    const row = await this.accounts.row(projectId, id);
    if (!(await this.health.claimOne(row, this.owner, Date.now(), this.leaseMs)))
      throw new PorticoError("CONFLICT", `account ${id} is being checked already; try again in a moment`);
    try {
      const view = await this.checkRow(row, actor);
      // An operator's check (console, CLI) is an action like any other of theirs: audited.
      if (actor.type === "operator" && this.accounts.history) {
        const history = this.accounts.history;
        await this.store.transaction((trx) =>
          history.audit(trx, {
            projectId,
            actor,
            action: "account.checked",
            targetType: "account",
            targetId: id,
            detail: { result: view.result, detail: view.detail, status: view.status },
          }),
        );
      }
      return view;
    } finally {
      await this.health.release(row.id, this.owner);
    }
  }

  /** What the last check found and when the next is due. */
  async view(projectId: string, id: string): Promise<HealthView> {
    return this.viewOf(await this.accounts.row(projectId, id));
  }

  viewOf(row: AccountRow): HealthView {
    const checkable = !!this.catalog.get(row.provider)?.verify;
    return {
      account_id: row.id,
      status: row.status,
      checkable,
      last_checked_at: iso(row.health_checked_at),
      result: row.health_result,
      detail: row.health_detail,
      // Scheduled checks are off, or the provider cannot be checked: no next check to show.
      next_check_at: checkable && this.opts.intervalMs > 0 ? iso(row.health_next_at) : null,
    };
  }

  /**
   * A proxied call's final status (the proxy calls this off its answer's path). A success is a
   * passing check: it brings a refused account back, or pushes the next check out. A refusal of
   * the credentials is confirmed by a verification request before anything changes.
   */
  observe(row: AccountRow, status: number): void {
    const entry = this.catalog.get(row.provider);
    if (!entry?.verify || this.watching.has(row.id)) return;
    const now = Date.now();
    let work: (() => Promise<unknown>) | null = null;
    if (status >= 200 && status < 300) {
      const passing: Probe = {
        outcome: "accepted",
        status,
        detail: `a proxied call succeeded (HTTP ${status})`,
      };
      if (row.status === "error" && rejectedByCheck(row))
        work = () => this.apply(row, entry, passing, HEALTH_ACTOR);
      // At most one write per account per quarter interval (an hour at most) for a busy account.
      else if (
        row.status === "active" &&
        now - Number(row.health_checked_at ?? 0) > Math.min(this.opts.intervalMs / 4 || HOUR, HOUR)
      )
        work = () =>
          this.health.record(undefined, row.project_id, row.id, this.columns(now, "ok", passing.detail));
    } else if (row.status === "active" && rejectsCredentials(entry, status)) {
      work = () => this.confirmFromCall(row);
    }
    if (!work) return;
    this.watching.add(row.id);
    work()
      .catch((err) =>
        this.opts.logger.warn(
          { account_id: row.id, err: (err as Error).message },
          "health after a proxied call",
        ),
      )
      .finally(() => this.watching.delete(row.id));
  }

  /** A proxied call was refused: check now if the provider's bound allows, else soon. */
  private async confirmFromCall(row: AccountRow): Promise<void> {
    const now = Date.now();
    if (!(await this.health.claimOne(row, this.owner, now, this.leaseMs, this.opts.concurrencyPerProvider))) {
      await this.health.record(undefined, row.project_id, row.id, {
        health_checked_at: row.health_checked_at,
        health_result: row.health_result,
        health_detail: row.health_detail,
        health_next_at: now,
      });
      return;
    }
    try {
      const fresh = await this.accounts.rowForRefresh(row.project_id, row.id);
      if (fresh) await this.checkRow(fresh, HEALTH_ACTOR);
    } finally {
      await this.health.release(row.id, this.owner);
    }
  }

  private columns(now: number, result: HealthResult, detail: string): HealthColumns {
    return {
      health_checked_at: now,
      health_result: result,
      health_detail: detail.slice(0, 500),
      health_next_at: this.next(now, result),
    };
  }

  /** Runs one check of an account this process holds the lease of, and applies what it found. */
  private async checkRow(row: AccountRow, actor: Actor): Promise<HealthView> {
    const entry = this.catalog.get(row.provider);
    const now = Date.now();
    if (!entry?.verify) {
      const cols = this.columns(
        now,
        "unsupported",
        "the provider's catalog entry has no verification request",
      );
      await this.health.record(undefined, row.project_id, row.id, cols);
      return this.viewOf({ ...row, ...cols });
    }
    // An OAuth account in error because its refresh failed recovers through the token refresh.
    if (row.status === "error" && entry.auth.scheme === "oauth2" && !rejectedByCheck(row)) {
      const cols = this.columns(now, "refresh_failed", "the token refresh put this account in error");
      await this.health.record(undefined, row.project_id, row.id, cols);
      return this.viewOf({ ...row, ...cols });
    }
    let current = row;
    let probe: Probe;
    try {
      let values: TemplateValues;
      ({ row: current, values } = await this.valuesFor(row, { actor }));
      probe = await probeCredentials(this.accounts.outbound, entry, values);
      if (probe.outcome === "rejected") {
        // Confirmed before anything changes: a fresh token for OAuth, a second request after a pause otherwise.
        if (entry.auth.scheme === "oauth2")
          ({ row: current, values } = await this.valuesFor(current, { force: true, actor }));
        else await sleep(this.opts.confirmDelayMs ?? 1000);
        probe = await probeCredentials(this.accounts.outbound, entry, values);
      }
    } catch (err) {
      // The token refresh failed (and said so on the account) or the account has no tokens.
      const cols = this.columns(Date.now(), "refresh_failed", (err as Error).message);
      await this.health.record(undefined, row.project_id, row.id, cols);
      return this.viewOf({
        ...((await this.accounts.rowForRefresh(row.project_id, row.id)) ?? row),
        ...cols,
      });
    }
    return this.apply(current, entry, probe, actor);
  }

  /** Records what a check found and moves the account to `error` or back to `active`. */
  private async apply(row: AccountRow, entry: CatalogEntry, probe: Probe, actor: Actor): Promise<HealthView> {
    const now = Date.now();
    const result: HealthResult =
      probe.outcome === "accepted" ? "ok" : probe.outcome === "rejected" ? "rejected" : "inconclusive";
    const cols = this.columns(now, result, probe.detail);
    const toError = result === "rejected" && row.status === "active";
    const toActive = result === "ok" && row.status === "error" && rejectedByCheck(row);
    if (!toError && !toActive) {
      await this.health.record(undefined, row.project_id, row.id, cols);
      return this.viewOf({ ...row, ...cols });
    }
    const reasons: StatusReason[] | null = toError
      ? [
          {
            code: REJECTED_CODE,
            description: `${entry.name} refused the account's credentials (${probe.detail}) when Portico checked them; re-connect the account`,
            timestamp: new Date(now).toISOString(),
          },
        ]
      : null;
    return this.store.transaction(async (trx) => {
      const fresh = await this.store.get(row.project_id, row.id, trx);
      if (!fresh) throw new PorticoError("NOT_FOUND", `id: account ${row.id} not found`);
      // New credentials or another change of status meanwhile: this verdict is about the old ones.
      if (fresh.credentials_version !== row.credentials_version || fresh.status !== row.status) {
        await this.health.record(trx, row.project_id, row.id, { ...cols, health_next_at: now });
        return this.viewOf({ ...fresh, ...cols });
      }
      const change = {
        ...cols,
        status: toError ? "error" : "active",
        status_reasons: toJson(reasons),
        updated_at: now,
      };
      const next: AccountRow = { ...fresh, ...change };
      await this.store.update(trx, row.project_id, row.id, fresh.credentials_version, change);
      if (toError) {
        await this.accounts.announce.emit(trx, "account.updated", next);
        await this.accounts.announce.emit(trx, "account.error", next);
        await this.accounts.announce.record(trx, fresh, next, null, actor, {
          code: REJECTED_CODE,
          description: reasons![0]!.description,
          source: "health_check",
        });
      } else {
        await this.accounts.announce.emitUpdate(trx, fresh, next);
        await this.accounts.announce.record(trx, fresh, next, null, actor, { source: "health_check" });
      }
      return this.viewOf(next);
    });
  }
}
