import { randomBytes } from "node:crypto";

/** Tells this process's ids from every other's (nodes and CLI processes share one database). */
const NODE = randomBytes(6).toString("hex");

/** Counts every id this process makes (wrapping at 36^4): two made in one millisecond differ. */
let seq = 0;
const SEQ_WRAP = 36 ** 4;

/**
 * An id that sorts by the time given, then in creation order within this process (the counter),
 * and is unique across processes (the node part): history rows written in the same millisecond,
 * such as an `error` and the `refresh_failed` that caused it, keep their order under
 * (created_at, id). Times may come out of order (a request-log record carries its start time);
 * the counter never resets, so no two ids of a process collide. Cheap enough for every request.
 */
export function sortableId(prefix: string, at: number = Date.now()): string {
  seq = (seq + 1) % SEQ_WRAP;
  return `${idsBefore(prefix, at)}${seq.toString(36).padStart(4, "0")}${NODE}`;
}

/** The bound below which every id of `prefix` made before `at` sorts (and none made after). */
export const idsBefore = (prefix: string, at: number): string =>
  `${prefix}${at.toString(36).padStart(9, "0")}`;
