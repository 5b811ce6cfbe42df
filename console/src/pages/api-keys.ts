import { api } from "../api.js";
import type { PageContext } from "../context.js";
import {
  actionForm,
  badge,
  copyable,
  dangerButton,
  field,
  h,
  replace,
  roleNote,
  table,
  time,
} from "../dom.js";
import type { ApiKey } from "../types.js";

export async function apiKeysPage(ctx: PageContext): Promise<void> {
  const base = `/projects/${ctx.projectId}/api-keys`;
  const admin = ctx.can("admin");
  replace(ctx.main, h("h1", null, "API keys"), h("p", { className: "loading" }, "Loading…"));
  const shown = h("div", { "aria-live": "polite" });
  const list = h("div");
  const render = async () => {
    const keys = await api<ApiKey[]>("GET", base);
    replace(
      list,
      table(
        "API keys",
        ["Name", "Prefix", "Scope", "Created", "Expires", "Last used", "Status", ...(admin ? [""] : [])],
        keys.map((k) => [
          k.name ?? "—",
          h("code", null, k.prefix),
          k.scopes,
          time(k.created_at),
          k.expires_at ? time(k.expires_at) : "never",
          time(k.last_used_at),
          k.revoked_at
            ? h("span", null, badge("revoked"), " ", time(k.revoked_at))
            : k.expires_at && Date.parse(k.expires_at) <= Date.now()
              ? badge("expired")
              : badge("active"),
          ...(admin
            ? [
                k.revoked_at
                  ? ""
                  : dangerButton(
                      "Revoke",
                      k.prefix,
                      {
                        title: "Revoke this key?",
                        text: `${k.prefix} stops working within seconds, on every node.`,
                        confirm: "Revoke key",
                      },
                      async () => {
                        await api("POST", `${base}/${k.id}/revoke`);
                        ctx.notify(`Revoked ${k.prefix}`);
                        await render();
                      },
                    ),
              ]
            : []),
        ]),
      ),
    );
  };
  const name = h("input", { type: "text", name: "name", autocomplete: "off" });
  const scope = h(
    "select",
    { name: "scope" },
    [
      ["full", "full: everything (default)"],
      ["read", "read: GET routes only"],
      ["connect", "connect: connect sessions and connectors meta"],
      ["proxy", "proxy: the proxy and reading accounts"],
    ].map(([value, label]) => h("option", { value }, label)),
  );
  const expires = h("select", { name: "expires" }, [
    h("option", { value: "" }, "never"),
    ...[
      [86_400, "1 day"],
      [30 * 86_400, "30 days"],
      [90 * 86_400, "90 days"],
      [365 * 86_400, "1 year"],
    ].map(([seconds, label]) => h("option", { value: String(seconds) }, String(label))),
  ]);
  const create = actionForm(
    { className: "stack narrow", "aria-labelledby": "create-key" },
    async () => {
      const key = await api<ApiKey & { api_key: string }>("POST", base, {
        name: name.value.trim() || undefined,
        scopes: [scope.value],
        expires_in: expires.value ? Number(expires.value) : undefined,
      });
      name.value = "";
      replace(
        shown,
        h(
          "section",
          { className: "once", "aria-label": "New API key" },
          h("h2", null, `New key ${key.name ?? key.prefix}`),
          h("p", null, "Copy it now: Portico keeps only its digest and cannot show it again."),
          copyable("API key", key.api_key),
        ),
      );
      ctx.notify("API key created");
      await render();
    },
    h("h2", { id: "create-key" }, "Create a key"),
    field("Name (optional)", name),
    field("Scope", scope, "What the key may call; a refused call is a 403 naming the scope it needs."),
    field("Expires", expires),
    h("div", { className: "actions" }, h("button", { type: "submit", className: "primary" }, "Create key")),
  );

  await render();
  replace(
    ctx.main,
    h("h1", null, "API keys"),
    admin ? null : roleNote(ctx.me.role, "admin", "creating and revoking keys"),
    shown,
    list,
    admin ? create : null,
  );
}
