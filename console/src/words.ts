import type { Actor, AuditEntry, Role } from "./types.js";

/** Who did something, as a person would say it. */
export const actorText = (a: Actor): string => {
  if (a.type === "operator") return a.name ?? "an operator";
  const who = {
    session: "end user",
    api_key: "API key",
    scheduler: "scheduler",
    system: "Portico",
  }[a.type];
  return `${who ?? a.type}${a.name ? ` ${a.name}` : ""}`;
};

const METHOD: Record<string, string> = {
  link: "a break-glass link",
  invitation: "an invitation",
  sso: "single sign-on",
};

const str = (v: unknown): string | null => (typeof v === "string" && v ? v : null);
const when = (v: unknown) => {
  const s = str(v);
  return s ? new Date(s).toLocaleString() : null;
};
const list = (v: unknown) => (Array.isArray(v) && v.length ? v.map(String).join(", ") : null);
const plural = (n: unknown, noun: string) =>
  `${Number(n).toLocaleString()} ${noun}${Number(n) === 1 ? "" : "s"}`;

/** "rate_limit_per_minute" -> "rate limit per minute". */
const humanKey = (k: string) => k.replace(/_/g, " ");

/** Any detail left, as "key: value" phrases (never raw JSON). */
function rest(detail: Record<string, unknown>, skip: string[]): string {
  return Object.entries(detail)
    .filter(([k, v]) => !skip.includes(k) && v !== null && v !== undefined && v !== "")
    .map(([k, v]) => {
      if (Array.isArray(v)) return `${humanKey(k)}: ${v.length ? v.join(", ") : "none"}`;
      if (typeof v === "object") return `${humanKey(k)}: ${rest(v as Record<string, unknown>, [])}`;
      if (typeof v === "boolean") return `${humanKey(k)}: ${v ? "yes" : "no"}`;
      return `${humanKey(k)}: ${String(v)}`;
    })
    .join("; ");
}

const join = (...parts: (string | null | false | undefined)[]) => parts.filter(Boolean).join(" ");

/**
 * An audit entry as two sentences' worth of words: what happened ("API key created") and its
 * details ("deploy, sk_live_abc..."). Unknown actions and details still read as words.
 */
export function auditWords(e: Pick<AuditEntry, "action" | "detail" | "target_id">): {
  action: string;
  detail: string;
} {
  const d = e.detail ?? {};
  const t = e.target_id;
  const phrase = (action: string, detail: string | null) => ({ action, detail: detail || "" });
  switch (e.action) {
    case "project.created":
      return phrase("Project created", str(d.name));
    case "project.updated":
      return phrase("Project settings changed", rest(d, []));
    case "api_key.created":
      return phrase("API key created", join(str(d.name) ?? "unnamed", d.prefix ? `(${d.prefix})` : null));
    case "api_key.revoked":
      return phrase("API key revoked", str(d.prefix) ?? t);
    case "api_key.updated":
      return phrase("API key changed", rest(d, []));
    case "integration.enabled":
    case "integration.updated": {
      const parts = [
        d.client_id ? `OAuth client id ${d.client_id}` : null,
        d.client_secret ? "client secret replaced" : null,
        list(d.scopes) ? `scopes ${list(d.scopes)}` : null,
      ].filter(Boolean);
      return phrase(
        e.action === "integration.enabled"
          ? `${t ?? "Integration"} enabled`
          : `${t ?? "Integration"} changed`,
        parts.join(", "),
      );
    }
    case "integration.disabled":
      return phrase(`${t ?? "Integration"} disabled`, "");
    case "webhook.created":
      return phrase(
        "Webhook endpoint added",
        join(str(d.url), list(d.events) ? `for ${list(d.events)}` : "for every event"),
      );
    case "webhook.removed":
      return phrase("Webhook endpoint removed", str(d.url) ?? t);
    case "webhook.enabled":
      return phrase("Webhook endpoint enabled", t);
    case "webhook.disabled":
      return phrase("Webhook endpoint disabled", t);
    case "webhook.secret_rotated":
      return phrase("Webhook signing secret rotated", t);
    case "webhook.test_sent":
      return phrase("Test event sent", join(str(d.event_id), t ? `to ${t}` : null));
    case "webhook.replayed":
      return phrase(
        "Webhook events replayed",
        [
          d.event_id ? `event ${d.event_id}` : null,
          d.since ? `since ${when(d.since)}` : null,
          d.until ? `until ${when(d.until)}` : null,
          d.events !== undefined ? `${plural(d.events, "event")}, ${plural(d.deliveries, "delivery")}` : null,
        ]
          .filter(Boolean)
          .join(", ")
          .replace(/deliverys/, "deliveries"),
      );
    case "account.deleted":
      return phrase(
        "Account deleted",
        join(str(d.provider), d.origin_owner_id ? `of owner ${d.origin_owner_id}` : null),
      );
    case "account.updated":
    case "account.credentials_replaced":
      return phrase(
        e.action === "account.updated" ? "Account edited" : "Account credentials replaced",
        list(d.fields) ? `changed ${list(d.fields)}` : "",
      );
    case "account.proxy_called":
      return phrase(
        "Call tried through the proxy",
        join(
          str(d.method),
          str(d.path),
          d.status !== null && d.status !== undefined ? `→ the provider answered ${d.status}` : null,
          str(d.error) ? `(${d.error})` : null,
        ),
      );
    case "connect_session.created":
      return phrase(
        d.account_id ? "Re-connect link created" : "Connect link created",
        join(
          d.origin_owner_id ? `for owner ${d.origin_owner_id}` : null,
          str(d.provider) ? `(${d.provider})` : null,
          d.expires_at ? `valid until ${when(d.expires_at)}` : null,
        ),
      );
    case "console.link_created":
      return phrase(
        "Break-glass sign-in link made",
        join(
          str(d.operator) ? `for ${d.operator}` : null,
          d.expires_at ? `valid until ${when(d.expires_at)}` : null,
        ),
      );
    case "console.signed_in":
      return phrase(
        "Signed in to the console",
        METHOD[String(d.method)] ? `with ${METHOD[String(d.method)]}` : "",
      );
    case "console.signed_out":
      return phrase("Signed out of the console", "");
    case "console.session_ended":
      return phrase(
        "Console session ended",
        join(
          str(d.operator) ? `of ${d.operator}` : null,
          METHOD[String(d.method)] ? `(signed in with ${METHOD[String(d.method)]})` : null,
        ),
      );
    case "console.user_invited":
      return phrase(
        "Operator invited",
        join(
          str(d.email),
          d.role ? `as ${d.role}` : null,
          d.previous_role ? `(was ${d.previous_role})` : null,
        ),
      );
    case "console.user_role_changed":
      return phrase(
        "Operator's role changed",
        join(
          str(d.email),
          d.previous_role ? `from ${d.previous_role}` : null,
          d.role ? `to ${d.role}` : null,
        ),
      );
    case "console.user_removed":
      return phrase(
        "Operator removed",
        join(
          str(d.email),
          d.sessions_ended !== undefined ? `(${plural(d.sessions_ended, "session")} ended)` : null,
        ),
      );
    case "console.user_joined":
      return phrase(
        "Operator joined with single sign-on",
        join(str(d.email), d.role ? `as ${d.role}` : null),
      );
    default: {
      const words = e.action.replace(/[._]/g, " ");
      return phrase(words.charAt(0).toUpperCase() + words.slice(1), rest(d, []));
    }
  }
}

/** Every account event type, as the console names it. */
export const EVENT_TEXT: Record<string, string> = {
  linked: "Linked",
  reconnected: "Re-connected",
  updated: "Updated",
  credentials_replaced: "Credentials replaced",
  token_refreshed: "Token refreshed",
  refresh_failed: "Token refresh failed",
  error: "Went to error",
  recovered: "Recovered",
  deleted: "Deleted",
};

export const eventText = (type: string) => EVENT_TEXT[type] ?? type;

/** An account event's details in words: a provider's error, the fields changed, or key: value. */
export function detailText(detail: Record<string, unknown> | null): string | null {
  if (!detail) return null;
  if (typeof detail.code === "string" || typeof detail.description === "string")
    return [detail.code, detail.description].filter(Boolean).join(": ");
  if (Array.isArray(detail.fields))
    return detail.fields.length ? `Changed ${detail.fields.join(", ")}` : null;
  return rest(detail, []) || null;
}

/** What each role may do, as the Users and Settings pages say it. */
export const ROLE_TEXT: Record<Role, string> = {
  owner: "everything, managing operators too",
  admin: "everything but managing operators",
  viewer: "reads everything an admin reads, and changes nothing",
};

/** How a session signed in. */
export const METHOD_TEXT: Record<string, string> = {
  link: "Break-glass link",
  invitation: "Invitation",
  sso: "Single sign-on",
};

/** A user agent as a person names it: "Chrome on Linux". */
export function browserName(ua: string | null): string {
  if (!ua) return "Unknown browser";
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /(Chrome|Chromium)\//.test(ua)
        ? /HeadlessChrome/.test(ua)
          ? "Headless Chrome"
          : "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : /^curl\//.test(ua)
            ? "curl"
            : ua.split(/[ /]/)[0] || "A browser";
  const os = /Windows/.test(ua)
    ? "Windows"
    : /Mac OS X|Macintosh/.test(ua)
      ? "macOS"
      : /Android/.test(ua)
        ? "Android"
        : /iPhone|iPad/.test(ua)
          ? "iOS"
          : /Linux|X11/.test(ua)
            ? "Linux"
            : null;
  return os ? `${browser} on ${os}` : browser;
}
