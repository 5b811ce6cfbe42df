import { api } from "../api.js";
import { alertBox, badge, confirmDialog, copyable, field, h, replace, table, time } from "../dom.js";
import type { PageContext } from "../main.js";
import type { ApiKey } from "../types.js";

export async function apiKeysPage(ctx: PageContext): Promise<void> {
  const base = `/projects/${ctx.projectId}/api-keys`;
  replace(ctx.main, h("h1", null, "API keys"), h("p", { className: "loading" }, "Loading…"));
  const shown = h("div", { "aria-live": "polite" });
  const list = h("div");
  const render = async () => {
    const keys = await api<ApiKey[]>("GET", base);
    replace(
      list,
      table(
        "API keys",
        ["Name", "Prefix", "Created", "Last used", "Status", ""],
        keys.map((k) => [
          k.name ?? "—",
          h("code", null, k.prefix),
          time(k.created_at),
          time(k.last_used_at),
          k.revoked_at ? h("span", null, badge("revoked"), " ", time(k.revoked_at)) : badge("active"),
          k.revoked_at
            ? ""
            : h(
                "button",
                {
                  type: "button",
                  className: "danger",
                  onClick: async () => {
                    if (
                      !(await confirmDialog(
                        "Revoke this key?",
                        `${k.prefix} stops working within seconds, on every node.`,
                        "Revoke key",
                      ))
                    )
                      return;
                    await api("POST", `${base}/${k.id}/revoke`);
                    ctx.notify(`Revoked ${k.prefix}`);
                    await render();
                  },
                },
                "Revoke",
                h("span", { className: "visually-hidden" }, ` ${k.prefix}`),
              ),
        ]),
      ),
    );
  };
  const name = h("input", { type: "text", name: "name", autocomplete: "off" });
  const status = h("div");
  const create = h(
    "form",
    {
      className: "stack narrow",
      "aria-labelledby": "create-key",
      onSubmit: async (e: Event) => {
        e.preventDefault();
        try {
          const key = await api<ApiKey & { api_key: string }>("POST", base, {
            name: name.value.trim() || undefined,
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
        } catch (err) {
          replace(status, alertBox((err as Error).message));
        }
      },
    },
    h("h2", { id: "create-key" }, "Create a key"),
    field("Name (optional)", name),
    status,
    h("div", { className: "actions" }, h("button", { type: "submit", className: "primary" }, "Create key")),
  );
  await render();
  replace(ctx.main, h("h1", null, "API keys"), shown, list, create);
}
