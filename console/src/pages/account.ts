import { ApiError, api } from "../api.js";
import type { PageContext } from "../context.js";
import {
  actionForm,
  alertBox,
  badge,
  breakable,
  type Child,
  codeBlock,
  copyable,
  dangerButton,
  field,
  h,
  replace,
  roleNote,
  table,
  time,
} from "../dom.js";
import type { Account, AccountEvent, AuthLink, Page, RequestLog, TryCallResult } from "../types.js";
import { actorText, detailText, eventText } from "../words.js";
import { healthSection } from "./account-health.js";

const json = (label: string, v: unknown) =>
  v === null || v === undefined || (typeof v === "object" && Object.keys(v).length === 0)
    ? "—"
    : codeBlock(label, v);

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/**
 * "Try a call": one request to the provider through the proxy, as this account, with the
 * provider's answer (status, headers, body) shown below. The console API records it in the
 * request log and, under the operator's email, in the audit log.
 */
function tryCallForm(ctx: PageContext, base: string, a: Account): HTMLElement {
  const method = h(
    "select",
    { name: "method" },
    METHODS.map((m) => h("option", { value: m }, m)),
  );
  const path = h("input", {
    type: "text",
    name: "path",
    required: true,
    value: a.provider.startsWith("sandbox-") ? "/me" : "/",
    autocomplete: "off",
    spellcheck: "false",
    className: "mono",
  });
  const body = h("textarea", { name: "body", rows: "4", className: "mono", spellcheck: "false" });
  const bodyField = field("Body (JSON or text)", body, "Sent with POST, PUT and PATCH");
  bodyField.hidden = true;
  method.addEventListener("change", () => {
    bodyField.hidden = method.value === "GET" || method.value === "DELETE";
  });
  const answer = h("div", { className: "answer", "aria-live": "polite" });
  const submit = h("button", { type: "submit", className: "primary" }, "Send");
  const form = actionForm(
    { className: "stack", "aria-labelledby": "try-heading" },
    async () => {
      submit.disabled = true;
      replace(answer, h("p", { className: "loading" }, "Calling the provider…"));
      try {
        const r = await api<TryCallResult>("POST", `${base}/proxy`, {
          method: method.value,
          path: path.value.trim(),
          body: bodyField.hidden ? undefined : body.value,
        });
        replace(
          answer,
          h("h3", null, "Answer"),
          h(
            "p",
            null,
            "The provider answered ",
            badge(String(r.status), r.status < 400 ? "ok" : "error"),
            ` in ${r.duration_ms.toLocaleString()} ms.`,
          ),
          h(
            "details",
            null,
            h("summary", null, "Response headers"),
            table(
              "Response headers",
              ["Header", "Value"],
              Object.entries(r.headers).map(([k, v]) => [h("code", null, k), String(v)]),
            ),
          ),
          codeBlock("Response body", r.data === null ? "(empty)" : r.data),
        );
        ctx.notify(`The provider answered ${r.status}`);
      } catch (err) {
        replace(answer);
        throw err;
      } finally {
        submit.disabled = false;
      }
    },
    h("h2", { id: "try-heading" }, "Try a call"),
    h(
      "p",
      { className: "hint" },
      "One request to the provider through Portico's proxy, as this account: its credentials are added by Portico and never shown. The path is relative to the provider's API.",
    ),
    h("div", { className: "try-line" }, field("Method", method), field("Path", path)),
    bodyField,
    h("div", { className: "actions" }, submit),
  );
  return h("section", { className: "try" }, form, answer);
}

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
  const admin = ctx.can("admin");
  const [events, calls, health] = await Promise.all([
    api<Page<AccountEvent>>("GET", `${base}/events`),
    api<Page<RequestLog>>("GET", `${base}/requests`),
    healthSection(base, admin, ctx.notify, () => ctx.navigate(location.pathname, { replace: true })),
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
    ["Setup", json("Setup values", a.setup_information)],
    ["Metadata", json("Metadata", a.metadata)],
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
              h("li", null, `${[r.code, r.description].filter(Boolean).join(": ")} `, time(r.timestamp)),
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
        admin
          ? [
              h("p", null, "A re-connect link opens the hub in edit mode for this account only."),
              h("div", { className: "actions" }, reconnect, remove),
              linkArea,
              edit,
            ]
          : roleNote(ctx.me.role, "admin", "re-connecting, editing, deleting and trying calls"),
      ),
    ),
    health,
    admin ? tryCallForm(ctx, base, a) : null,
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
        ["Time", "Request", "Provider status", "Attempts", "Status", "Duration (ms)", "By", "Error"],
        calls.data.map((c) => [
          time(c.event_datetime),
          h(
            "code",
            null,
            `${c.step_requests?.[0]?.http_method ?? ""} `,
            breakable(c.step_requests?.[0]?.path ?? ""),
          ),
          c.step_requests?.at(-1)?.status ?? "—",
          c.step_requests?.length ?? "—",
          badge(String(c.status), c.status < 400 ? "ok" : "error"),
          c.duration,
          c.source_value ?? "—",
          c.error ?? "—",
        ]),
        "No proxied calls yet.",
      ),
    ),
  );
}
