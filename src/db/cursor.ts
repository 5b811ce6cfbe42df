import { PorticoError } from "../errors.js";

export type CursorValue = string | number;

/**
 * Opaque cursors for keyset pages: the sort values of the last row served, and the list and
 * ordering they belong to (`scope`), as base64url JSON. A cursor from another list or ordering is
 * a 400 naming the parameter, never a silently wrong page.
 */
export function encodeCursor(scope: string, values: CursorValue[]): string {
  return Buffer.from(JSON.stringify([scope, ...values])).toString("base64url");
}

export function decodeCursor(
  scope: string,
  cursor: string | undefined,
  arity: number,
  field = "next",
): CursorValue[] | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== arity + 1 ||
    parsed[0] !== scope ||
    parsed.slice(1).some((v) => typeof v !== "string" && typeof v !== "number")
  )
    throw new PorticoError("VALIDATION", `${field}: not a cursor of this list and ordering`);
  return parsed.slice(1) as CursorValue[];
}
