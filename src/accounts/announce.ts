import type { Transaction } from "kysely";
import type { DB } from "../db/schema.js";
import type { Actor } from "../history/actor.js";
import type { AccountEventInput, AccountEventType, HistoryService } from "../history/service.js";
import type { LinkedAccount } from "./schemas.js";
import type { AccountRow } from "./store.js";

export type AccountEvent =
  | "account.created"
  | "account.updated"
  | "account.deleted"
  | "account.error"
  | "account.recovered";

/** Called inside the transaction that changes an account, so an event is never lost or invented. */
export type AccountEventSink = (
  trx: Transaction<DB>,
  event: AccountEvent,
  account: LinkedAccount,
  projectId: string,
) => Promise<void>;

/**
 * How an account change is announced: its webhooks (the outbox) and its history entry, both in the
 * transaction that made the change. One place, so every path that changes an account (linking,
 * PATCH, token refresh, health checks) says the same things the same way.
 */
export class AccountAnnouncer {
  constructor(
    private readonly deps: { events?: AccountEventSink; history?: HistoryService },
    private readonly toWire: (row: AccountRow) => LinkedAccount,
  ) {}

  async emit(trx: Transaction<DB>, event: AccountEvent, row: AccountRow): Promise<void> {
    if (this.deps.events) await this.deps.events(trx, event, this.toWire(row), row.project_id);
  }

  /** `account.updated`, and `account.recovered` too when the change took it out of `error`. */
  async emitUpdate(trx: Transaction<DB>, before: AccountRow, next: AccountRow): Promise<void> {
    await this.emit(trx, "account.updated", next);
    if (before.status === "error" && next.status === "active")
      await this.emit(trx, "account.recovered", next);
  }

  /** The account's history entry, with `error` or `recovered` when its status crossed over. */
  async record(
    trx: Transaction<DB>,
    before: AccountRow | null,
    next: AccountRow,
    type: AccountEventType | null,
    actor: Actor,
    detail: Record<string, unknown> | null = null,
  ): Promise<void> {
    if (!this.deps.history) return;
    const base = { projectId: next.project_id, accountId: next.id, provider: next.provider, actor };
    const events: AccountEventInput[] = type ? [{ ...base, type, detail }] : [];
    if (before?.status === "error" && next.status === "active") events.push({ ...base, type: "recovered" });
    if (before && before.status !== "error" && next.status === "error")
      events.push({ ...base, type: "error", detail });
    if (events.length) await this.deps.history.accountEvent(trx, ...events);
  }
}
