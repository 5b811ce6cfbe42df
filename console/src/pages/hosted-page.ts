import { api } from "../api.js";
import type { PageContext } from "../context.js";
import { actionForm, field, h, replace, roleNote } from "../dom.js";
import type { ProjectSettings } from "../types.js";

/**
 * The project's hosted page: its brand (display name, logo, accent colour, support link) and
 * where it sends the end user after linking, or after a cancel or an error.
 */
export async function hostedPagePage(ctx: PageContext): Promise<void> {
  const base = `/projects/${ctx.projectId}/settings`;
  replace(ctx.main, h("h1", null, "Hosted page"), h("p", { className: "loading" }, "Loading…"));
  const s = await api<ProjectSettings>("GET", base);
  const reload = () => ctx.navigate(location.pathname, { replace: true });

  const input = (name: string, value: string | null, type = "text") =>
    h("input", { type, name, value: value ?? "", autocomplete: "off" });
  const displayName = input("display_name", s.display_name);
  const accent = input("accent_color", s.accent_color, "text");
  accent.setAttribute("pattern", "#[0-9A-Fa-f]{6}");
  accent.setAttribute("placeholder", "#1F6FEB");
  const support = input("support_url", s.support_url, "text");
  support.setAttribute("placeholder", "https://help.example.com or mailto:help@example.com");
  const brand = actionForm(
    { className: "stack narrow", "aria-labelledby": "brand-heading" },
    async () => {
      await api("PATCH", base, {
        display_name: displayName.value.trim() || null,
        accent_color: accent.value.trim() || null,
        support_url: support.value.trim() || null,
      });
      ctx.notify("Brand saved");
      reload();
    },
    h("h2", { id: "brand-heading" }, "Brand"),
    field("Display name", displayName, "Shown above the hub on the hosted page and its error pages."),
    field("Accent colour", accent, "A #RRGGBB colour for the page and the hub's buttons."),
    field("Support link", support),
    h("div", { className: "actions" }, h("button", { type: "submit", className: "primary" }, "Save brand")),
  );

  const file = h("input", { type: "file", name: "logo", accept: "image/svg+xml,image/png" });
  const logo = actionForm(
    { className: "stack narrow", "aria-labelledby": "logo-heading" },
    async () => {
      const f = file.files?.[0];
      if (!f) throw new Error("Choose an SVG or PNG file first.");
      if (f.size > 64 * 1024) throw new Error("The logo may be at most 64 KiB.");
      const bytes = new Uint8Array(await f.arrayBuffer());
      let binary = "";
      for (const b of bytes) binary += String.fromCharCode(b);
      await api("PUT", `${base}/logo`, { content_base64: btoa(binary) });
      ctx.notify("Logo uploaded");
      reload();
    },
    h("h2", { id: "logo-heading" }, "Logo"),
    s.logo_url
      ? h("p", null, h("img", { src: s.logo_url, alt: "The current logo", className: "brand-preview" }))
      : h("p", { className: "empty" }, "No logo yet."),
    field("SVG or PNG, at most 64 KiB", file, "Scripts, links and metadata are removed before it is stored."),
    h(
      "div",
      { className: "actions" },
      h("button", { type: "submit", className: "primary" }, "Upload logo"),
      s.logo_url
        ? h(
            "button",
            {
              type: "button",
              onClick: async () => {
                await api("DELETE", `${base}/logo`);
                ctx.notify("Logo removed");
                reload();
              },
            },
            "Remove logo",
          )
        : null,
    ),
  );

  const origins = h("textarea", { name: "allowed_origins", rows: "3", className: "mono" });
  origins.value = s.allowed_origins.join("\n");
  const success = input("success_url", s.success_url);
  const error = input("error_url", s.error_url);
  const redirects = actionForm(
    { className: "stack narrow", "aria-labelledby": "redirects-heading" },
    async () => {
      await api("PATCH", base, {
        allowed_origins: origins.value
          .split(/[\s,]+/)
          .map((o) => o.trim())
          .filter(Boolean),
        success_url: success.value.trim() || null,
        error_url: error.value.trim() || null,
      });
      ctx.notify("Redirects saved");
      reload();
    },
    h("h2", { id: "redirects-heading" }, "After linking"),
    h(
      "p",
      { className: "hint" },
      "The hosted page sends the end user to the success URL with account_id and provider added, and to the error URL with a reason (cancelled, session_expired). A session may name its own (the portico field). Embedded hubs are not redirected.",
    ),
    field("Allowed origins (one per line)", origins, "Redirect URLs must be on one of these."),
    field("Success URL", success),
    field("Cancel or error URL", error),
    h(
      "div",
      { className: "actions" },
      h("button", { type: "submit", className: "primary" }, "Save redirects"),
    ),
  );

  if (!ctx.can("admin")) {
    // A viewer sees the settings, read-only.
    for (const form of [brand, logo, redirects])
      for (const el of form.querySelectorAll("input, textarea, button"))
        (el as HTMLInputElement).disabled = true;
  }
  replace(
    ctx.main,
    h("h1", null, "Hosted page"),
    ctx.can("admin") ? null : roleNote(ctx.me.role, "admin", "changing the hosted page"),
    h("div", { className: "columns" }, brand, logo),
    redirects,
  );
}
