/**
 * Text that both databases store as it is. PostgreSQL refuses NUL (U+0000) anywhere in a text
 * value, and one refused value fails the whole statement it is in: a request for
 * `/accounts/x%00y` once stopped the request log of every project on a node. A lone UTF-16
 * surrogate is not valid UTF-8 either (the driver would silently replace it), so it becomes U+FFFD
 * here, where it is visible. History records carry what callers sent (paths, ids), so every text
 * field of every history record passes through here before it is written.
 */

/** Any surrogate, paired or not (a linear scan; pairs are told apart afterwards). */
const SURROGATE = /[\uD800-\uDFFF]/;

type WellFormed = string & { toWellFormed(): string };

export function cleanText(value: string): string {
  if (!value.includes("\u0000") && !SURROGATE.test(value)) return value;
  return (value.replaceAll("\u0000", "") as WellFormed).toWellFormed();
}

/** Cleans every string field of a record in place (and returns it). */
export function cleanRecord<T extends object>(record: T): T {
  const fields = record as Record<string, unknown>;
  for (const key in fields) {
    const v = fields[key];
    if (typeof v === "string") fields[key] = cleanText(v);
  }
  return record;
}
