/**
 * Every category wire value StackOne's current clients know (spec sections 3 and 8): the 13 of
 * SDK 4.28 and `scheduling` (TS SDK 4.32.2, PHP SDK 0.28.3). Session answers carry categories in a
 * closed enum, so which of them a caller's client version accepts is decided per request by its
 * wire profile (`http/client-contracts.ts`); meta answers and the catalog use them all.
 */
export const CATEGORIES = [
  "ats",
  "hris",
  "hris-legacy",
  "crm",
  "iam",
  "marketing",
  "lms",
  "stackone",
  "documents",
  "ticketing",
  "screening",
  "messaging",
  "accounting",
  "scheduling",
] as const;

export type Category = (typeof CATEGORIES)[number];

/**
 * Wire values older clients used for a category that has since been renamed: TS SDK 4.17.0 to
 * 4.17.2 and PHP SDK 0.22.x called `documents` `file-storage`. Accepted on input as the category
 * they name, and sent back to the clients that know only the old value.
 */
export const CATEGORY_ALIASES: Readonly<Record<string, Category>> = { "file-storage": "documents" };

/**
 * Categories a provider serves because it serves another. `hris-legacy` is StackOne's category of
 * its first HRIS API, which older integrations still open sessions with; the tools behind it are
 * the HRIS tools, so an HRIS provider is offered to such a session too.
 */
const IMPLIED: Partial<Record<Category, readonly Category[]>> = { hris: ["hris-legacy"] };

/** A provider's categories with those they imply, each once, in the order given. */
export function withImplied(categories: readonly Category[]): Category[] {
  return [...new Set(categories.flatMap((c) => [c, ...(IMPLIED[c] ?? [])]))];
}
