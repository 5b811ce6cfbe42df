import { PorticoError } from "../errors.js";
import type { After } from "./store.js";

/**
 * Opaque `next` cursors for keyset pages: the sort value and id of the last row served, and the
 * ordering they belong to (`scope`), base64url JSON. A cursor from another ordering or list is a
 * 400 naming the parameter, never a silently wrong page.
 */
export function encodeCursor(scope: string, after: After): string {
  return Buffer.from(JSON.stringify([scope, after.value, after.id])).toString("base64url");
}

export function decodeCursor(scope: string, cursor: string | undefined, field = "next"): After | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== scope ||
    (typeof parsed[1] !== "string" && typeof parsed[1] !== "number") ||
    typeof parsed[2] !== "string"
  )
    throw new PorticoError("VALIDATION", `${field}: not a cursor of this list and ordering`);
  return { value: parsed[1], id: parsed[2] };
}
