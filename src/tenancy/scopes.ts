import { PorticoError } from "../errors.js";

/**
 * What an API key may call. `full` is everything (every key made before scopes existed); the
 * others are for backends that need less:
 * - `read`: GET routes only;
 * - `connect`: connect sessions and the connectors meta, for a backend that only opens links;
 * - `proxy`: the proxy, and reading accounts.
 * A key may hold several (`connect,proxy`). Each route of the API declares which of these may call
 * it (`config.scopes`), and one hook (http/scope-hook.ts) enforces the declaration.
 */
export const SCOPES = ["full", "read", "connect", "proxy"] as const;
export type Scope = (typeof SCOPES)[number];

/** The scopes a route may name: every route is open to `full` anyway. */
export type RouteScope = Exclude<Scope, "full">;

export const FULL: readonly Scope[] = Object.freeze(["full"]);

/** `connect,proxy` -> ["connect", "proxy"]; throws naming `field` on anything else. */
export function parseScopes(value: string | readonly string[], field = "scope"): Scope[] {
  const list = (typeof value === "string" ? value.split(",") : [...value]).map((s) => s.trim().toLowerCase());
  const out = [...new Set(list.filter(Boolean))];
  const bad = out.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (bad.length || out.length === 0)
    throw new PorticoError(
      "VALIDATION",
      `${field}: ${bad.length ? `"${bad.join(", ")}" is not a scope` : "is empty"}; use ${SCOPES.join(", ")} (comma-separated for several)`,
    );
  // full already holds every other scope.
  return out.includes("full") ? ["full"] : (out as Scope[]);
}

/** The column's value: null for full (what a key made before scopes has), else the comma list. */
export const storedScopes = (scopes: readonly Scope[]): string | null =>
  scopes.includes("full") ? null : scopes.join(",");

export const scopesOf = (stored: string | null): Scope[] =>
  stored === null ? [...FULL] : parseScopes(stored);

/** True when a key holding `held` may call a route open to `route`. */
export const scopeAllows = (held: readonly Scope[], route: readonly RouteScope[]): boolean =>
  held.includes("full") || held.some((s) => (route as readonly string[]).includes(s));

/**
 * A key's expiry from `--expires-in`: seconds, or a number with s, m, h or d (`90d`), at most
 * ten years. Returns milliseconds.
 */
export function parseExpiresIn(value: string, field = "expires_in"): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  const unit = { "": 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m?.[2] ?? ""];
  const ms = m && unit ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isFinite(ms) || ms < 60_000 || ms > 3650 * 86_400_000)
    throw new PorticoError(
      "VALIDATION",
      `${field}: "${value}" is not a duration from 1 minute to 10 years (e.g. 3600, 12h, 90d)`,
    );
  return ms;
}
