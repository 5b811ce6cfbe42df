import { PorticoError } from "../errors.js";

export type CursorValue = string | number;

/**
 * What a cursor value must be to be compared with its column, on either database:
 * - `time`: an epoch-ms timestamp (a bigint column): a whole number from 0 to the last Date;
 * - `int`: a 32-bit integer column (durations, statuses);
 * - `text`: a text column (ids, provider keys, owner ids and names): at most 1024 characters,
 *   without NUL, which PostgreSQL refuses in text.
 */
export type CursorPart = "time" | "int" | "text";

const MAX_TIME = 8_640_000_000_000_000;
const MAX_TEXT = 1024;

function fits(part: CursorPart, v: unknown): boolean {
  if (part === "text") return typeof v === "string" && v.length <= MAX_TEXT && !v.includes("\u0000");
  if (typeof v !== "number" || !Number.isSafeInteger(v)) return false;
  return part === "time" ? v >= 0 && v <= MAX_TIME : v >= -2_147_483_648 && v <= 2_147_483_647;
}

/**
 * Opaque cursors for keyset pages: the sort values of the last row served, and the list and
 * ordering they belong to (`scope`), as base64url JSON. A cursor from another list or ordering is
 * a 400 naming the parameter, never a silently wrong page; so is one whose values do not fit
 * their columns' types and ranges (a tampered cursor once reached PostgreSQL as a string for a
 * bigint, and came back as a 500).
 */
export function encodeCursor(scope: string, values: CursorValue[]): string {
  return Buffer.from(JSON.stringify([scope, ...values])).toString("base64url");
}

export function decodeCursor(
  scope: string,
  cursor: string | undefined,
  parts: readonly CursorPart[],
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
    parsed.length !== parts.length + 1 ||
    parsed[0] !== scope ||
    !parts.every((part, i) => fits(part, parsed[i + 1]))
  )
    throw new PorticoError("VALIDATION", `${field}: not a cursor of this list and ordering`);
  return parsed.slice(1) as CursorValue[];
}

/** The scope a cursor names, without checking the rest (null when it is not one). */
export function cursorScope(cursor: string): string | null {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    return Array.isArray(parsed) && typeof parsed[0] === "string" ? parsed[0] : null;
  } catch {
    return null;
  }
}
