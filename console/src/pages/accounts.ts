import { api, qs } from "../api.js";
import type { PageContext } from "../context.js";
import { badge, breakable, field, filterForm, h, pager, replace, table, time } from "../dom.js";
import type { Account, Integration, Page } from "../types.js";

const STATUSES = ["active", "inactive", "error"];

/** Cursors of the pages before this one, so "Previous page" works without OFFSET. */
const previous: string[] = [];
let lastFilterKey = "";

export async function accountsPage(ctx: PageContext): Promise<void> {
  const q = ctx.query;
  const filters = {
    provider: q.get("provider") ?? "",
    status: q.get("status") ?? "",
    owner: q.get("owner") ?? "",
    q: q.get("q") ?? "",
  };
  const key = JSON.stringify(filters);
  if (key !== lastFilterKey) {
    previous.length = 0;
    lastFilterKey = key;
  }
  const cursor = q.get("cursor") ?? undefined;
  replace(ctx.main, h("h1", null, "Accounts"), h("p", { className: "loading" }, "Loading…"));
  const [page, catalog] = await Promise.all([
    api<Page<Account>>("GET", `/projects/${ctx.projectId}/accounts${qs({ ...filters, cursor, limit: 50 })}`),
    api<{ integrations: Integration[] }>("GET", `/projects/${ctx.projectId}/integrations`),
  ]);

  // The providers this project offers, not the whole catalog (and the one filtered by, if it no
  // longer is: its accounts stay).
  const offered = catalog.integrations.filter((i) => i.active || i.provider === filters.provider);
  const provider = h(
    "select",
    { name: "provider" },
    h("option", { value: "" }, "Any provider"),
    offered.map((i) => h("option", { value: i.provider, selected: i.provider === filters.provider }, i.name)),
  );
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", { value: s, selected: s === filters.status }, s)),
  );
  const owner = h("input", { type: "text", name: "owner", value: filters.owner, autocomplete: "off" });
  const search = h("input", { type: "search", name: "q", value: filters.q, autocomplete: "off" });
  const form = filterForm(
    "Filter accounts",
    ctx.href("/accounts"),
    (data) =>
      ctx.navigate(
        ctx.href(
          `/accounts${qs({
            provider: String(data.get("provider") ?? ""),
            status: String(data.get("status") ?? ""),
            owner: String(data.get("owner") ?? "").trim(),
            q: String(data.get("q") ?? "").trim(),
          })}`,
        ),
      ),
    field("Search", search, "Owner id or owner name, from its start"),
    field("Provider", provider),
    field("Status", status),
    field("Owner id", owner, "Exactly this origin owner id"),
  );

  const nav = pager("Pages of accounts", previous, cursor, page.next, (c) =>
    ctx.navigate(ctx.href(`/accounts${qs({ ...filters, cursor: c })}`)),
  );

  replace(
    ctx.main,
    h("h1", null, "Accounts"),
    form,
    table(
      "Accounts",
      ["Owner", "Provider", "Status", "Label", "Created"],
      page.data.map((a) => [
        h(
          "a",
          { href: ctx.href(`/accounts/${encodeURIComponent(a.id)}`) },
          h("span", { className: "owner-name" }, a.origin_owner_name),
          h("span", { className: "sub mono" }, breakable(a.origin_owner_id)),
        ),
        a.provider_name ?? a.provider,
        badge(a.status),
        a.label ?? "—",
        time(a.created_at),
      ]),
      filters.q || filters.provider || filters.status || filters.owner
        ? "No account matches."
        : "No accounts yet: create a link on the Connect page.",
    ),
    nav,
  );
}
