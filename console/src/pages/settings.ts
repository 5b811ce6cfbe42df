import { api } from "../api.js";
import type { PageContext } from "../context.js";
import { badge, copyable, h, replace } from "../dom.js";
import type { Role, Settings } from "../types.js";
import { ROLE_TEXT } from "../words.js";

const ROLES: Role[] = ["owner", "admin", "viewer"];

/**
 * How people sign in to this console: invitations, break-glass links, session limits, and single
 * sign-on with OpenID Connect (its settings come from the environment; the redirect URI to
 * register with the identity provider is shown, with a button to copy it).
 */
export async function settingsPage(ctx: PageContext): Promise<void> {
  replace(ctx.main, h("h1", null, "Settings"), h("p", { className: "loading" }, "Loading…"));
  const s = await api<Settings>("GET", "/settings");
  const hours = (n: number) =>
    n >= 48 && n % 24 === 0 ? `${n / 24} days` : `${n.toLocaleString()} hour${n === 1 ? "" : "s"}`;
  const minutes = (n: number) => `${n.toLocaleString()} minute${n === 1 ? "" : "s"}`;
  const row = (k: string, v: Node | string) => [h("dt", null, k), h("dd", null, v)];
  replace(
    ctx.main,
    h("h1", null, "Settings"),
    h(
      "p",
      null,
      "How people sign in to this console. These settings come from Portico's environment (PORTICO_CONSOLE_*).",
    ),
    h(
      "section",
      { "aria-labelledby": "sign-in" },
      h("h2", { id: "sign-in" }, "Sign-in"),
      h(
        "dl",
        { className: "fields" },
        row("Invitation links", `work once, for ${hours(s.invitation_hours)}`),
        row(
          "Break-glass links",
          `portico console link: owners, from a shell; work once, for ${minutes(s.link_minutes)}`,
        ),
        row(
          "Sessions end",
          `after ${minutes(s.idle_minutes)} without use, and after ${hours(s.max_session_hours)} in any case`,
        ),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "sso" },
      h("h2", { id: "sso" }, "Single sign-on (OpenID Connect)"),
      s.sso
        ? h(
            "dl",
            { className: "fields" },
            row("Identity provider", h("code", null, s.sso.issuer)),
            row("Client id", h("code", null, s.sso.client_id)),
            row(
              "Allowed email domains",
              s.sso.allowed_domains.length ? s.sso.allowed_domains.join(", ") : "none: invited emails only",
            ),
            row("Role of a first sign-in", badge(s.sso.default_role, `role-${s.sso.default_role}`)),
          )
        : h(
            "p",
            null,
            'Not configured. Set PORTICO_CONSOLE_OIDC_ISSUER, PORTICO_CONSOLE_OIDC_CLIENT_ID and PORTICO_CONSOLE_OIDC_CLIENT_SECRET (and PORTICO_CONSOLE_OIDC_ALLOWED_DOMAINS) to offer "Sign in with SSO".',
          ),
      copyable("Redirect URI", s.sso?.redirect_uri ?? s.sso_redirect_uri),
      h(
        "p",
        { className: "hint" },
        "Register this redirect URI with the identity provider's client for Portico.",
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "roles" },
      h("h2", { id: "roles" }, "Roles"),
      h(
        "dl",
        { className: "fields roles" },
        ROLES.map((r) => [h("dt", null, badge(r, `role-${r}`)), h("dd", null, ROLE_TEXT[r])]),
      ),
      h("p", null, h("a", { href: ctx.href("/users") }, "Users and their roles")),
    ),
  );
}
