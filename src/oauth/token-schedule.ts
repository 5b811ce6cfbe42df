import type { OAuthTokens } from "../accounts/service.js";

/**
 * When a token should be refreshed: `margin` before it expires, but never earlier than halfway
 * through its life (a provider issuing 60-second tokens must not be refreshed on every use), and
 * at the latest `idle` after the last refresh so a refresh token is never left unused long enough
 * for the provider to expire it.
 */
export type TokenSchedule = { marginMs: number; idleMs: number };

export function refreshDueAt(tokens: OAuthTokens, issuedAt: number, s: TokenSchedule): number | null {
  const candidates: number[] = [];
  if (tokens.expires_at !== undefined) {
    const life = Math.max(0, tokens.expires_at - issuedAt);
    candidates.push(tokens.expires_at - Math.min(s.marginMs, life / 2));
  }
  if (tokens.refresh_token) candidates.push(issuedAt + s.idleMs);
  // Whole milliseconds: the column is a bigint on PostgreSQL.
  return candidates.length ? Math.floor(Math.min(...candidates)) : null;
}

/** Retry n (1-based) of a failed refresh: exponential from one minute, capped, with jitter; null when spent. */
export function retryAt(now: number, attempt: number, maxAttempts = 8): number | null {
  if (attempt > maxAttempts) return null;
  const base = Math.min(60_000 * 2 ** (attempt - 1), 6 * 3600_000);
  return now + Math.round(base * (0.8 + Math.random() * 0.4));
}
