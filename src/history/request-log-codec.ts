/**
 * What a request-log row leaves out because another column says it already (issue 22: no column
 * another implies), and how it is put back when the row is read.
 */

const ACCOUNT_PREFIX = "acc_";
/** Marks an account id stored whole: one that does not start with `acc_`, or whose rest starts with this. */
const WHOLE = "~";

/** An account id without the `acc_` every Portico account id starts with. */
export function encodeAccount(id: string | null): string | null {
  if (id === null) return null;
  return id.startsWith(ACCOUNT_PREFIX) && id[ACCOUNT_PREFIX.length] !== WHOLE
    ? id.slice(ACCOUNT_PREFIX.length)
    : WHOLE + id;
}

export function decodeAccount(stored: string | null): string | null {
  if (stored === null) return null;
  return stored.startsWith(WHOLE) ? stored.slice(WHOLE.length) : ACCOUNT_PREFIX + stored;
}

/**
 * The path a route implies: the route itself when it has no parameter, or the account's path
 * (`/accounts/:id/meta` with its account id). Null when the route has other parameters.
 */
export function impliedPath(route: string, accountId: string | null): string | null {
  if (!route.includes(":")) return route;
  if (accountId !== null && route.startsWith("/accounts/:id") && route.indexOf(":", 11) === -1)
    return `/accounts/${accountId}${route.slice("/accounts/:id".length)}`;
  return null;
}

/** The path to store: null when the route and account imply it (most calls). */
export const storedPath = (path: string, route: string, accountId: string | null): string | null =>
  impliedPath(route, accountId) === path ? null : path;

/** The path a row was called with. */
export const calledPath = (stored: string | null, route: string, accountId: string | null): string =>
  stored ?? impliedPath(route, accountId) ?? route;

/**
 * A provider URL (origin and path, no query) as the host lookup's prefix and what the row keeps:
 * the URL is almost always the provider's base URL followed by the path the caller gave, so the
 * row keeps nothing more than that path; otherwise (a `url` that moved it) the prefix is the
 * origin and the row keeps the URL's path. A call that never got a URL has the prefix ''.
 */
export function splitProviderUrl(
  url: string | null,
  providerPath: string | null,
): { prefix: string; rest: string | null } {
  if (url === null) return { prefix: "", rest: null };
  if (providerPath !== null && url.endsWith(providerPath) && url.length > providerPath.length)
    return { prefix: url.slice(0, url.length - providerPath.length), rest: null };
  const origin = URL.canParse(url) ? new URL(url).origin : "";
  return origin && origin !== "null" && url.startsWith(origin) && url.length > origin.length
    ? { prefix: origin, rest: url.slice(origin.length) }
    : { prefix: url, rest: "" };
}

export function joinProviderUrl(prefix: string | null, rest: string | null, providerPath: string | null) {
  if (!prefix) return null;
  return prefix + (rest ?? providerPath ?? "");
}
