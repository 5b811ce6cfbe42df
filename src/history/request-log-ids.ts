/**
 * Request-log ids: one 63-bit integer a request, ordered by the time the request started.
 *
 *   id = (start ms − EPOCH) << 22 | writer << 12 | seq
 *
 * - 41 bits of milliseconds since 2020-01-01 (until 2089);
 * - a writer tag of 10 bits, handed out by the database to each process that writes the log
 *   (request-log-store.ts `claimWriter`), so two processes never make the same id;
 * - 12 bits counting this process's ids within one millisecond (4,096 a millisecond; past that
 *   the id borrows the next millisecond, so ids of a process never repeat and never go back).
 *
 * The id is the table's only time column (the request's start time is implied by it), its key for
 * `GET /requests/logs/{id}`, and what the day partitions are ranges of. On the wire it is
 * `req_` + 9 base-36 digits of the start time in epoch milliseconds + 5 of the low 22 bits
 * (`req_mjx2b3k0w00a2q`): ids sort by time as strings too, like the ids of earlier versions
 * (`req_` + the same 9 digits + 16 more), which still resolve (`fromLegacy`).
 *
 * JavaScript numbers hold 53 bits: the full id only exists as a BigInt bound to a statement;
 * rows are read back as `id >> 22` and `id & 4194303`, both exact numbers.
 */
export const EPOCH_MS = Date.UTC(2020, 0, 1);
export const LOW_BITS = 22;
export const LOW_MASK = 2 ** LOW_BITS - 1;
const SEQ_BITS = 12;
const SEQ_MAX = 2 ** SEQ_BITS - 1;
export const WRITER_TAGS = 2 ** (LOW_BITS - SEQ_BITS);
export const DAY_MS = 86_400_000;

/** The parts of an id: the start time (epoch ms) and the low 22 bits. */
export type IdParts = { ms: number; low: number };

const MS_DIGITS = 9;
const LOW_DIGITS = 5;
const PREFIX = "req_";
/** Earlier versions' ids: `req_` + 9 digits of time + 4 base-36 digits of a counter + 12 hex digits of the process. */
const LEGACY_LENGTH = PREFIX.length + MS_DIGITS + 4 + 12;

/** The last millisecond's part of an id: every request of that millisecond shares it. */
let lastMs = -1;
let lastMsPart = "";

export function wireId(ms: number, low: number): string {
  if (ms !== lastMs) {
    lastMs = ms;
    lastMsPart = `${PREFIX}${ms.toString(36).padStart(MS_DIGITS, "0")}`;
  }
  return `${lastMsPart}${low.toString(36).padStart(LOW_DIGITS, "0")}`;
}

const BASE36 = /^[0-9a-z]+$/;
const HEX = /^[0-9a-f]+$/;

/**
 * The id a wire id names, or null when it cannot name one (another format, a time before 2020).
 * An earlier version's id maps to the id its row was given when it was moved (`fromLegacy`).
 */
export function parseWireId(id: string): IdParts | null {
  if (!id.startsWith(PREFIX)) return null;
  const time = id.slice(PREFIX.length, PREFIX.length + MS_DIGITS);
  const rest = id.slice(PREFIX.length + MS_DIGITS);
  if (time.length !== MS_DIGITS || !BASE36.test(time)) return null;
  const ms = Number.parseInt(time, 36);
  if (ms < EPOCH_MS || ms >= EPOCH_MS + 2 ** 41) return null;
  if (rest.length === LOW_DIGITS && BASE36.test(rest)) {
    const low = Number.parseInt(rest, 36);
    return low <= LOW_MASK ? { ms, low } : null;
  }
  if (id.length === LEGACY_LENGTH) return fromLegacy(id);
  return null;
}

/**
 * An earlier version's id (`sortable-id.ts`: time, a per-process counter, the process's random
 * tag) as an id of this layout: its time, the counter's low 12 bits, 10 bits of its process tag.
 * Rows moved from the old table get this id, so their old ids keep resolving.
 */
export function fromLegacy(id: string): IdParts | null {
  if (id.length !== LEGACY_LENGTH || !id.startsWith(PREFIX)) return null;
  const time = id.slice(4, 13);
  const counter = id.slice(13, 17);
  const node = id.slice(17);
  if (!BASE36.test(time) || !BASE36.test(counter) || !HEX.test(node)) return null;
  const ms = Number.parseInt(time, 36);
  if (ms < EPOCH_MS || ms >= EPOCH_MS + 2 ** 41) return null;
  const tag = Number.parseInt(node.slice(0, 3), 16) & (WRITER_TAGS - 1);
  return { ms, low: (tag << SEQ_BITS) | (Number.parseInt(counter, 36) & SEQ_MAX) };
}

/** The integer stored for an id. */
export const dbId = (p: IdParts): bigint => (BigInt(p.ms - EPOCH_MS) << BigInt(LOW_BITS)) | BigInt(p.low);

/**
 * The lowest id of a time (every id of a request started at or after `ms` is at least this),
 * within the ids there can be: a time before 2020 or after 2089 (a filter's) is held to the ends.
 */
export const idAt = (ms: number): bigint =>
  BigInt(Math.min(Math.max(0, Math.floor(ms) - EPOCH_MS), 2 ** 41 - 1)) << BigInt(LOW_BITS);

/** The UTC day (days since 1970-01-01) of a time. */
export const dayOf = (ms: number): number => Math.floor(ms / DAY_MS);

/** The last day's table name: each write of a batch asks for it, nearly always the same day. */
let lastDay = Number.NaN;
let lastDayTable = "";

/** A day's table: `request_log_20261201`. */
export function dayTable(day: number): string {
  if (day !== lastDay) {
    lastDayTable = `request_log_${new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll("-", "")}`;
    lastDay = day;
  }
  return lastDayTable;
}

const DAY_TABLE = /^request_log_(\d{4})(\d{2})(\d{2})$/;

/** The day a day table holds, or null for any other name. */
export function tableDay(name: string): number | null {
  const m = DAY_TABLE.exec(name);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(ms) || dayTable(ms / DAY_MS) !== name ? null : ms / DAY_MS;
}

/**
 * This process's ids. `next` runs at the start of every request (Fastify's `genReqId`), so it is
 * a few arithmetic operations and one short string. The writer tag comes from the database before
 * the first request is served (`claimWriter`); until then ids use tag 0, which no claim returns
 * only after 1,024 other processes claimed one.
 */
export class RequestIds {
  private tag = 0;
  private lastMs = 0;
  private seq = 0;

  constructor(private readonly now: () => number = Date.now) {}

  setWriter(tag: number): void {
    this.tag = tag & (WRITER_TAGS - 1);
  }

  get writer(): number {
    return this.tag;
  }

  /** The parts of a new id for a request starting now. */
  nextParts(): IdParts {
    const now = this.now();
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else if (this.seq < SEQ_MAX) {
      this.seq++;
    } else {
      // 4,096 ids in one millisecond (or the clock went back): borrow the next millisecond.
      this.lastMs++;
      this.seq = 0;
    }
    return { ms: this.lastMs, low: (this.tag << SEQ_BITS) | this.seq };
  }

  /** A new wire id for a request starting now. */
  next = (): string => {
    const p = this.nextParts();
    return wireId(p.ms, p.low);
  };
}
