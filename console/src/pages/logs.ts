import { api, qs } from "../api.js";
import type { PageContext } from "../context.js";
import { badge, breakable, type Child, field, filterForm, h, pager, replace, table, time } from "../dom.js";
import type {
  AccountEvent,
  ApiKey,
  AuditEntry,
  ConsoleUser,
  Page,
  RefusedCount,
  RequestLog,
} from "../types.js";
import { actorText, auditWords, detailText, EVENT_TEXT, eventText } from "../words.js";

const TABS: [string, string][] = [
  ["requests", "Request log"],
  ["events", "Account events"],
  ["audit", "Audit log"],
  ["refused", "Refused (429)"],
];

/** datetime-local (the browser's local time) to ISO, and back. */
const toIso = (local: string) => (local ? new Date(local).toISOString() : "");
const toLocal = (iso: string | null) => {
  if (!iso) return "";
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

const previous: string[] = [];
let lastKey = "";

export async function logsPage(ctx: PageContext): Promise<void> {
  const q = ctx.query;
  const tab = TABS.some(([t]) => t === q.get("tab")) ? q.get("tab")! : "requests";
  const next = q.get("next") ?? undefined;
  const params = Object.fromEntries([...q.entries()].filter(([k]) => k !== "next"));
  const key = JSON.stringify(params);
  if (key !== lastKey) {
    previous.length = 0;
    lastKey = key;
  }
  replace(ctx.main, h("h1", null, "Logs"), h("p", { className: "loading" }, "Loading…"));
  const keys = await api<ApiKey[]>("GET", `/projects/${ctx.projectId}/api-keys`);
  const base = `/projects/${ctx.projectId}/logs`;

  const from = h("input", { type: "datetime-local", name: "from", value: toLocal(q.get("from")) });
  const to = h("input", { type: "datetime-local", name: "to", value: toLocal(q.get("to")) });
  const account = h("input", {
    type: "text",
    name: "account",
    value: q.get("account") ?? "",
    autocomplete: "off",
  });
  const keySelect = (name: string, none: string) =>
    h(
      "select",
      { name },
      h("option", { value: "" }, none),
      keys.map((k) =>
        h("option", { value: k.id, selected: q.get(name) === k.id }, `${k.name ?? "key"} ${k.prefix}`),
      ),
    );
  let fields: HTMLElement[];
  let rows: Child[][];
  let head: string[];
  let page: Page<unknown>;
  const range = { start_date: q.get("from") ?? undefined, end_date: q.get("to") ?? undefined, next };

  if (tab === "requests") {
    const status = h(
      "select",
      { name: "status" },
      [
        ["", "Any status"],
        ["success", "Succeeded (below 400)"],
        ["failure", "Failed (400 and above)"],
        ...["200", "201", "400", "401", "403", "404", "408", "500", "502"].map((c) => [c, c]),
      ].map(([v, t]) => h("option", { value: v!, selected: (q.get("status") ?? "") === v }, t!)),
    );
    const s = q.get("status") ?? "";
    const logs = await api<Page<RequestLog>>(
      "GET",
      `${base}/requests${qs({
        ...range,
        account_ids: q.get("account") ?? undefined,
        source_ids: q.get("key") ?? undefined,
        success: s === "success" ? "true" : s === "failure" ? "false" : undefined,
        status_codes: /^\d+$/.test(s) ? s : undefined,
        page_size: 50,
      })}`,
    );
    page = logs;
    fields = [
      field("Account id", account),
      field("API key", keySelect("key", "Any key")),
      field("Status", status),
    ];
    head = ["Time", "Call", "Status", "Duration (ms)", "Account", "Provider call", "Key"];
    rows = logs.data.map((l) => [
      time(l.event_datetime),
      h("code", null, `${l.http_method} `, breakable(l.path)),
      badge(String(l.status), l.status < 400 ? "ok" : "error"),
      l.duration,
      l.account_id
        ? h(
            "a",
            { href: ctx.href(`/accounts/${encodeURIComponent(l.account_id)}`), className: "mono" },
            l.account_id,
          )
        : "—",
      l.step_requests?.[0]
        ? h(
            "code",
            null,
            `${l.step_requests[0].http_method} `,
            breakable(l.step_requests[0].path ?? ""),
            ` → ${l.step_requests[0].status ?? "no answer"}`,
          )
        : (l.error ?? "—"),
      l.source_value ?? "—",
    ]);
  } else if (tab === "events") {
    const type = h(
      "select",
      { name: "type" },
      h("option", { value: "" }, "Any event"),
      Object.keys(EVENT_TEXT).map((t) =>
        h("option", { value: t, selected: q.get("type") === t }, eventText(t)),
      ),
    );
    const events = await api<Page<AccountEvent & { account_id: string }>>(
      "GET",
      `${base}/events${qs({ ...range, type: q.get("type") ?? undefined, account_id: q.get("account") ?? undefined })}`,
    );
    page = events;
    fields = [field("Event", type), field("Account id", account)];
    head = ["Time", "Event", "Account", "By", "Detail"];
    rows = events.data.map((e) => [
      time(e.created_at),
      eventText(e.type),
      h(
        "a",
        { href: ctx.href(`/accounts/${encodeURIComponent(e.account_id)}`), className: "mono" },
        e.account_id,
      ),
      actorText(e.actor),
      detailText(e.detail) ?? "—",
    ]);
  } else if (tab === "refused") {
    // Calls answered 429 are counted per key and minute, not logged one row each.
    const refused = await api<{ data: RefusedCount[] }>(
      "GET",
      `${base}/refused${qs({ start_date: range.start_date, end_date: range.end_date, key_id: q.get("key") ?? undefined })}`,
    );
    page = { data: refused.data, next: null };
    fields = [field("API key", keySelect("key", "Any key"))];
    head = ["Minute", "API key", "Calls refused (429)"];
    const prefix = new Map(keys.map((k) => [k.id, `${k.name ?? "key"} ${k.prefix}`]));
    rows = refused.data.map((r) => [
      time(r.minute),
      prefix.get(r.key_id) ?? r.key_id,
      r.count.toLocaleString(),
    ]);
  } else {
    const [audit, users] = await Promise.all([
      api<Page<AuditEntry>>(
        "GET",
        `${base}/audit${qs({ ...range, actor_id: q.get("key") ?? undefined, target_id: q.get("account") ?? undefined })}`,
      ),
      api<ConsoleUser[]>("GET", `/organizations/${ctx.project.organization_id}/users`),
    ]);
    page = audit;
    const by = keySelect("key", "Anyone");
    by.append(
      h(
        "optgroup",
        { label: "Operators" },
        users.map((u) => h("option", { value: u.id, selected: q.get("key") === u.id }, u.email)),
      ),
    );
    fields = [field("Changed item (account, key, endpoint id or provider)", account), field("By", by)];
    head = ["Time", "Action", "Details", "By", "Item"];
    rows = audit.data.map((a) => {
      const words = auditWords(a);
      return [
        time(a.created_at),
        h("span", { title: a.action }, words.action),
        words.detail || "—",
        actorText(a.actor),
        a.target_id ? h("code", null, breakable(a.target_id)) : "—",
      ];
    });
  }

  const form = filterForm(
    "Filter the log",
    ctx.href(`/logs?tab=${tab}`),
    (data) => {
      const out: Record<string, string> = { tab };
      for (const [k, v] of data.entries()) if (String(v).trim()) out[k] = String(v).trim();
      if (out.from) out.from = toIso(out.from);
      if (out.to) out.to = toIso(out.to);
      ctx.navigate(ctx.href(`/logs${qs(out)}`));
    },
    ...fields,
    field("From", from),
    field("To", to),
  );
  replace(
    ctx.main,
    h("h1", null, "Logs"),
    h(
      "nav",
      { className: "tabs", "aria-label": "Logs" },
      TABS.map(([t, label]) =>
        h("a", { href: ctx.href(`/logs?tab=${t}`), "aria-current": t === tab ? "page" : undefined }, label),
      ),
    ),
    form,
    table(TABS.find(([t]) => t === tab)![1], head, rows, "Nothing matches."),
    pager("Pages of the log", previous, next, page.next, (cursor) =>
      ctx.navigate(ctx.href(`/logs${qs({ ...params, next: cursor })}`)),
    ),
  );
}
