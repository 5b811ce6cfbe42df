import { randomBytes } from "node:crypto";

let lastMs = 0;
let seq = 0;

/**
 * An id that sorts in creation order within this process (time, then a counter, then random
 * characters so processes never collide): history rows written in the same millisecond, such as
 * an `error` and the `refresh_failed` that caused it, keep their order under (created_at, id).
 */
export function sortableId(prefix: string, at: number = Date.now()): string {
  if (at === lastMs) seq++;
  else {
    lastMs = at;
    seq = 0;
  }
  return `${prefix}${at.toString(36).padStart(9, "0")}${seq.toString(36).padStart(4, "0")}${randomBytes(8).toString("hex")}`;
}
