import { api } from "../api.js";
import type { PageContext } from "../context.js";
import { actionForm, alertBox, badge, copyable, field, h, replace, roleNote } from "../dom.js";
import type { Integration } from "../types.js";

type Catalog = { redirect_uri: string; categories: string[]; integrations: Integration[] };

function oauthForm(ctx: PageContext, i: Integration, redirectUri: string): HTMLElement {
  const o = i.oauth!;
  const clientId = h("input", {
    type: "text",
    name: "client_id",
    value: o.client_id ?? "",
    autocomplete: "off",
  });
  const secret = h("input", {
    type: "password",
    name: "client_secret",
    autocomplete: "new-password",
    placeholder: o.client_secret_set ? "saved (type to replace)" : "not set",
  });
  const scopes = h("input", {
    type: "text",
    name: "scopes",
    value: (o.scopes ?? []).join(" "),
    autocomplete: "off",
  });
  const form = actionForm(
    { className: "stack" },
    async () => {
      await api("PUT", `/projects/${ctx.projectId}/integrations/${i.provider}`, {
        active: true,
        client_id: clientId.value.trim() || undefined,
        client_secret: secret.value || undefined,
        scopes: scopes.value.trim() ? scopes.value.trim().split(/[\s,]+/) : undefined,
      });
      secret.value = "";
      ctx.notify(`${i.name}: OAuth app saved and enabled`);
      ctx.navigate(location.pathname + location.search, { replace: true });
    },
    copyable("Redirect URI", redirectUri),
    h("p", { className: "hint" }, "Register this redirect URI with the provider's OAuth app."),
    field("Client id", clientId),
    field("Client secret", secret, "Write-only: stored encrypted, never shown again"),
    field("Scopes", scopes, `Default: ${o.default_scopes.join(" ") || "none"}`),
    o.built_in_app
      ? h("p", { className: "hint" }, "Without an app of yours, Portico's built-in sandbox app is used.")
      : null,
    ctx.can("admin")
      ? h(
          "div",
          { className: "actions" },
          h("button", { type: "submit", className: "primary" }, "Save OAuth app"),
        )
      : null,
  );
  if (!ctx.can("admin"))
    for (const el of [clientId, secret, scopes]) {
      el.disabled = true;
    }

  return h("details", { className: "oauth" }, h("summary", null, "OAuth app settings"), form);
}

function card(ctx: PageContext, i: Integration, redirectUri: string): HTMLElement {
  const toggle = h("input", {
    type: "checkbox",
    role: "switch",
    checked: i.active,
    id: `toggle-${i.provider}`,
    disabled: !ctx.can("admin"),
  });
  toggle.addEventListener("change", async () => {
    toggle.disabled = true;
    try {
      await api("PUT", `/projects/${ctx.projectId}/integrations/${i.provider}`, { active: toggle.checked });
      ctx.notify(`${i.name} ${toggle.checked ? "enabled" : "disabled"}`);
      i.active = toggle.checked;
      state.replaceWith(badge(i.active ? "enabled" : "off", i.active ? "active" : "inactive"));
    } catch (err) {
      toggle.checked = !toggle.checked;
      ctx.notify((err as Error).message);
    } finally {
      toggle.disabled = false;
    }
  });
  const state = badge(i.active ? "enabled" : "off", i.active ? "active" : "inactive");
  return h(
    "li",
    { className: "integration", "data-provider": i.provider },
    h(
      "div",
      { className: "head" },
      h("img", { src: i.logo_url, alt: "", width: "32", height: "32" }),
      h(
        "div",
        null,
        h("h2", null, i.name),
        h("p", { className: "sub" }, `${i.categories.join(", ")} · ${i.scheme.replace("_", " ")}`),
      ),
      state,
    ),
    h("div", { className: "switch" }, toggle, h("label", { for: toggle.id }, `Offer ${i.name} to end users`)),
    // Enabled but not offered in the hub: end users are told only that it is not available.
    i.problem
      ? h("p", { className: "alert", role: "alert" }, `Not offered to end users: ${i.problem}`)
      : null,
    i.oauth ? oauthForm(ctx, i, redirectUri) : null,
  );
}

export async function integrationsPage(ctx: PageContext): Promise<void> {
  replace(ctx.main, h("h1", null, "Integrations"), h("p", { className: "loading" }, "Loading…"));
  const catalog = await api<Catalog>("GET", `/projects/${ctx.projectId}/integrations`);
  const q = ctx.query.get("q") ?? "";
  const category = ctx.query.get("category") ?? "";
  const show = ctx.query.get("show") ?? "";
  const search = h("input", { type: "search", name: "q", value: q, autocomplete: "off" });
  const cat = h(
    "select",
    { name: "category" },
    h("option", { value: "" }, "Every category"),
    catalog.categories.map((c) => h("option", { value: c, selected: c === category }, c)),
  );
  const which = h(
    "select",
    { name: "show" },
    h("option", { value: "" }, "All"),
    h("option", { value: "enabled", selected: show === "enabled" }, "Enabled only"),
  );
  const list = h("ul", { className: "integrations" });
  const count = h("p", { className: "hint", role: "status" });
  const apply = () => {
    const text = search.value.trim().toLowerCase();
    const shown = catalog.integrations.filter(
      (i) =>
        (!text || i.name.toLowerCase().includes(text) || i.provider.includes(text)) &&
        (!cat.value || i.categories.includes(cat.value)) &&
        (!which.value || i.active),
    );
    replace(
      list,
      shown.map((i) => card(ctx, i, catalog.redirect_uri)),
    );
    count.textContent = `${shown.length} of ${catalog.integrations.length} providers`;
    const params = new URLSearchParams();
    if (search.value.trim()) params.set("q", search.value.trim());
    if (cat.value) params.set("category", cat.value);
    if (which.value) params.set("show", which.value);
    history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
  };
  for (const el of [search, cat, which]) el.addEventListener("input", apply);
  replace(
    ctx.main,
    h("h1", null, "Integrations"),
    h("p", null, "The providers this project offers its end users in the hub."),
    ctx.can("admin") ? null : roleNote(ctx.me.role, "admin", "enabling providers and setting OAuth apps"),
    h(
      "form",
      {
        className: "filters",
        role: "search",
        "aria-label": "Filter integrations",
        onSubmit: (e: Event) => e.preventDefault(),
      },
      field("Search", search),
      field("Category", cat),
      field("Show", which),
    ),
    count,
    list,
  );
  apply();
  if (!catalog.integrations.length) ctx.main.append(alertBox("The catalog is empty."));
}
