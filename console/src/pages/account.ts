import { ApiError, api } from "../api.js";
import {
  actionForm,
  alertBox,
  badge,
  type Child,
  copyable,
  dangerButton,
  field,
  h,
  replace,
  table,
  time,
} from "../dom.js";
import type { PageContext } from "../main.js";
import type { Account, AccountEvent, Actor, AuthLink, Page, RequestLog } from "../types.js";
import { healthSection } from "./account-health.js";

export const actorText = (a: Actor): string => {
  const who = {
    session: "end user",
    api_key: "API key",
    operator: "operator",
    scheduler: "scheduler",
    system: "Portico",
  }[a.type];
  return `${who ?? a.type}${a.name ? ` ${a.name}` : ""}`;
};

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

export function detailText(detail: Record<string, unknown> | null): Child {
  if (!detail) return null;
  if (typeof detail.code === "string" || typeof detail.description === "string")
    return `${detail.code ?? ""}: ${detail.description ?? ""}`;
  if (Array.isArray(detail.fields))
    return detail.fields.length ? `Changed: ${detail.fields.join(", ")}` : null;
  return JSON.stringify(detail);
}

const json = (v: unknown) =>
  v === null || v === undefined ? "—" : h("pre", { className: "json" }, JSON.stringify(v, null, 2));

export async function accountPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0]!;
  const base = `/projects/${ctx.projectId}/accounts/${encodeURIComponent(id)}`;
  replace(ctx.main, h("h1", null, "Account"), h("p", { className: "loading" }, "Loading…"));
  let detail: { account: Account; logo_url: string | null };
  try {
    detail = await api("GET", base);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(
        ctx.main,
        h("h1", null, "Account not found"),
        alertBox(err.message),
        h("p", null, h("a", { href: ctx.href("/accounts") }, "All accounts")),
      );
      return;
    }
    throw err;
  }
  const [events, calls, health] = await Promise.all([
    api<Page<AccountEvent>>("GET", `${base}/events`),
    api<Page<RequestLog>>("GET", `${base}/requests`),
    healthSection(base, ctx.notify, () => ctx.navigate(location.pathname, { replace: true })),
  ]);
  const a = detail.account;

  const linkArea = h("div", { className: "link-area" });
  const reconnect = h(
    "button",
    {
      type: "button",
      onClick: async () => {
        reconnect.disabled = true;
        try {
          const link = await api<AuthLink>("POST", `${base}/reconnect-link`, {});
          replace(
            linkArea,
            copyable("Re-connect link", link.auth_link_url, { open: true }),
            h(
              "p",
              { className: "hint" },
              "Valid until ",
              time(link.expires_at),
              ". Whoever opens it re-authenticates this account.",
            ),
          );
          ctx.notify("Re-connect link created");
        } catch (err) {
          replace(linkArea, alertBox((err as Error).message));
        } finally {
          reconnect.disabled = false;
        }
      },
    },
    "Create a re-connect link",
  );

  const label = h("input", { type: "text", name: "label", value: a.label ?? "", maxlength: "255" });
  const metadata = h("textarea", { name: "metadata", rows: "5", className: "mono" });
  metadata.value = a.metadata ? JSON.stringify(a.metadata, null, 2) : "";
  const edit = actionForm(
    { className: "stack", "aria-labelledby": "edit-heading" },
    async () => {
      let meta: Record<string, unknown> | null = null;
      if (metadata.value.trim()) {
        try {
          meta = JSON.parse(metadata.value);
        } catch {
          throw new Error("Metadata must be a JSON object.");
        }
      }
      await api("PATCH", base, { label: label.value.trim() || null, metadata: meta });
      ctx.notify("Account saved");
      ctx.navigate(location.pathname, { replace: true });
    },
    h("h2", { id: "edit-heading" }, "Label and metadata"),
    field("Label", label),
    field("Metadata (JSON object)", metadata),
    h("div", { className: "actions" }, h("button", { type: "submit", className: "primary" }, "Save")),
  );

  const remove = dangerButton(
    "Delete account",
    "",
    {
      title: "Delete this account?",
      text: `${a.origin_owner_name}'s ${a.provider_name ?? a.provider} account (${a.id}) and its credentials are deleted for good. Your backend gets an account.deleted webhook.`,
      confirm: "Delete account",
    },
    async () => {
      try {
        await api("DELETE", base);
        ctx.notify(`Deleted ${a.id}`);
        ctx.navigate(ctx.href("/accounts"));
      } catch (err) {
        ctx.main.append(alertBox((err as Error).message));
      }
    },
  );

  const fields: [string, Child][] = [
    ["Account id", h("code", null, a.id)],
    [
      "Provider",
      h(
        "span",
        { className: "provider" },
        detail.logo_url ? h("img", { src: detail.logo_url, alt: "", width: "20", height: "20" }) : null,
        a.provider_name ?? a.provider,
      ),
    ],
    ["Status", badge(a.status)],
    ["Owner id", h("code", null, a.origin_owner_id)],
    ["Owner name", a.origin_owner_name],
    ["Username", a.origin_username ?? "—"],
    ["Label", a.label ?? "—"],
    ["Type", a.type],
    ["Setup", json(a.setup_information)],
    ["Metadata", json(a.metadata)],
    ["Created", time(a.created_at)],
    ["Updated", time(a.updated_at)],
  ];

  replace(
    ctx.main,
    h("p", { className: "crumbs" }, h("a", { href: ctx.href("/accounts") }, "Accounts"), " / ", a.id),
    h("h1", null, `${a.label ?? a.origin_owner_name} · ${a.provider_name ?? a.provider}`),
    a.status_reasons?.length
      ? h(
          "section",
          { className: "alert", "aria-labelledby": "reasons" },
          h("h2", { id: "reasons" }, "Status reasons"),
          h(
            "ul",
            null,
            a.status_reasons.map((r) =>
              h("li", null, `${r.code ?? ""}: ${r.description ?? ""} `, time(r.timestamp)),
            ),
          ),
        )
      : null,
    h(
      "div",
      { className: "columns" },
      h(
        "section",
        { "aria-labelledby": "fields" },
        h("h2", { id: "fields" }, "Fields"),
        h(
          "dl",
          { className: "fields" },
          fields.map(([k, v]) => [h("dt", null, k), h("dd", null, v)]),
        ),
      ),
      h(
        "section",
        { "aria-labelledby": "actions-heading", className: "stack" },
        h("h2", { id: "actions-heading" }, "Actions"),
        h("p", null, "A re-connect link opens the hub in edit mode for this account only."),
        h("div", { className: "actions" }, reconnect, remove),
        linkArea,
        edit,
      ),
    ),
    health,
    h(
      "section",
      { "aria-labelledby": "timeline" },
      h("h2", { id: "timeline" }, "Timeline"),
      events.data.length
        ? h(
            "ol",
            { className: "timeline" },
            events.data.map((e) =>
              h(
                "li",
                null,
                time(e.created_at),
                " ",
                h("strong", null, eventText(e.type)),
                ` by ${actorText(e.actor)}`,
                e.detail ? h("span", { className: "sub" }, detailText(e.detail)) : null,
              ),
            ),
          )
        : h("p", { className: "empty" }, "No events recorded."),
    ),
    h(
      "section",
      { "aria-labelledby": "calls" },
      h("h2", { id: "calls" }, "Recent proxied calls"),
      table(
        "Recent proxied calls",
        ["Time", "Request", "Provider status", "Attempts", "Status", "Duration", "Error"],
        calls.data.map((c) => [
          time(c.event_datetime),
          h("code", null, `${c.step_requests?.[0]?.http_method ?? ""} ${c.step_requests?.[0]?.path ?? ""}`),
          c.step_requests?.at(-1)?.status ?? "—",
          c.step_requests?.length ?? "—",
          badge(String(c.status), c.status < 400 ? "ok" : "error"),
          `${c.duration} ms`,
          c.error ?? "—",
        ]),
        "No proxied calls yet.",
      ),
    ),
  );
}
