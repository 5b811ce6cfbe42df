import { api } from "../api.js";
import type { PageContext } from "../context.js";
import { actionForm, copyable, field, h, replace, roleNote, time, uid } from "../dom.js";
import type { AuthLink, Integration } from "../types.js";

const EXPIRY: [number, string][] = [
  [1800, "30 minutes"],
  [3600, "1 hour"],
  [86_400, "1 day"],
  [7 * 86_400, "7 days"],
  [30 * 86_400, "30 days"],
];

/** A form that opens a connect session and shows its auth link, as a backend would get it. */
export async function connectPage(ctx: PageContext): Promise<void> {
  replace(ctx.main, h("h1", null, "Connect an account"), h("p", { className: "loading" }, "Loading…"));
  const { integrations, categories } = await api<{ integrations: Integration[]; categories: string[] }>(
    "GET",
    `/projects/${ctx.projectId}/integrations`,
  );
  const active = integrations.filter((i) => i.active);
  const ownerId = h("input", { type: "text", name: "origin_owner_id", required: true, autocomplete: "off" });
  const ownerName = h("input", {
    type: "text",
    name: "origin_owner_name",
    required: true,
    autocomplete: "off",
  });
  const username = h("input", { type: "text", name: "origin_username", autocomplete: "off" });
  const label = h("input", { type: "text", name: "label", autocomplete: "off" });
  const provider = h(
    "select",
    { name: "provider" },
    h("option", { value: "" }, "Let the user choose"),
    active.map((i) => h("option", { value: i.provider }, i.name)),
  );
  const expiry = h(
    "select",
    { name: "expires_in" },
    EXPIRY.map(([s, text]) => h("option", { value: String(s), selected: s === 86_400 }, text)),
  );
  const legend = uid("cat");
  const cats = h(
    "fieldset",
    { className: "checks" },
    h("legend", { id: legend }, "Categories (none: every category)"),
    categories.map((c) => {
      const id = uid("c");
      return h(
        "span",
        { className: "check" },
        h("input", { type: "checkbox", name: "categories", value: c, id }),
        h("label", { for: id }, c),
      );
    }),
  );
  const result = h("div", { className: "result", "aria-live": "polite" });
  const form = actionForm(
    { className: "stack narrow" },
    async (f) => {
      const data = new FormData(f);
      replace(result);
      const link = await api<AuthLink>("POST", `/projects/${ctx.projectId}/connect-sessions`, {
        origin_owner_id: ownerId.value.trim(),
        origin_owner_name: ownerName.value.trim(),
        origin_username: username.value.trim() || undefined,
        label: label.value.trim() || undefined,
        categories: data.getAll("categories").map(String),
        provider: provider.value || undefined,
        expires_in: Number(expiry.value),
      });
      replace(
        result,
        h("h2", null, "Auth link"),
        copyable("Auth link", link.auth_link_url, { open: true }),
        h(
          "p",
          { className: "hint" },
          "Valid until ",
          time(link.expires_at),
          ". Hand it to your customer's user, or open it yourself.",
        ),
      );
      ctx.notify("Connect session created");
    },
    field("Owner id", ownerId, "Your customer's id: accounts are grouped and re-connected by it"),
    field("Owner name", ownerName),
    field("Username (optional)", username),
    field("Label (optional)", label),
    cats,
    field("Provider", provider, active.length ? undefined : "No integration is enabled: enable one first"),
    field("Link valid for", expiry),
    h("div", { className: "actions" }, h("button", { type: "submit", className: "primary" }, "Create link")),
  );
  if (!ctx.can("admin")) {
    // Shown, so a viewer sees what an admin would fill in; every control disabled.
    for (const el of form.querySelectorAll("input, select, button, textarea"))
      (el as HTMLInputElement).disabled = true;
  }
  replace(
    ctx.main,
    h("h1", null, "Connect an account"),
    h("p", null, "Create a connect session for one of your customers and get its auth link."),
    ctx.can("admin") ? null : roleNote(ctx.me.role, "admin", "creating links"),
    form,
    result,
  );
}
