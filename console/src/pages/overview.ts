import { api } from "../api.js";
import type { PageContext } from "../context.js";
import { h, num, replace, table } from "../dom.js";
import type { Overview } from "../types.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(
  tag: string,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** Sessions opened and accounts linked per day: paired bars, with the numbers as a table too. */
function chart(days: Overview["per_day"]): HTMLElement {
  const width = 720;
  const height = 180;
  const pad = { top: 10, bottom: 24, left: 36 };
  const max = Math.max(1, ...days.flatMap((d) => [d.sessions_opened, d.accounts_linked]));
  const slot = (width - pad.left) / days.length;
  const bar = Math.max(2, slot / 2 - 2);
  const y = (v: number) => pad.top + (height - pad.top - pad.bottom) * (1 - v / max);
  const totalSessions = days.reduce((n, d) => n + d.sessions_opened, 0);
  const totalLinked = days.reduce((n, d) => n + d.accounts_linked, 0);
  const summary = `Last ${days.length} days: ${totalSessions} connect sessions opened, ${totalLinked} accounts linked.`;
  const g = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": summary, class: "chart" },
    svg("line", { x1: pad.left, x2: width, y1: y(0), y2: y(0), class: "axis" }),
    svg("text", { x: pad.left - 6, y: y(max) + 4, "text-anchor": "end", class: "tick" }, String(max)),
    svg("text", { x: pad.left - 6, y: y(0) + 4, "text-anchor": "end", class: "tick" }, "0"),
  );
  days.forEach((d, i) => {
    const x = pad.left + i * slot + 1;
    g.append(
      svg(
        "rect",
        {
          x,
          y: y(d.sessions_opened),
          width: bar,
          height: y(0) - y(d.sessions_opened),
          class: "bar-sessions",
        },
        svg("title", {}, `${d.date}: ${d.sessions_opened} sessions opened`),
      ),
      svg(
        "rect",
        {
          x: x + bar + 1,
          y: y(d.accounts_linked),
          width: bar,
          height: y(0) - y(d.accounts_linked),
          class: "bar-linked",
        },
        svg("title", {}, `${d.date}: ${d.accounts_linked} accounts linked`),
      ),
    );
    if ((i % 7 === 0 && days.length - 1 - i >= 4) || i === days.length - 1)
      g.append(
        svg("text", { x: x + bar, y: height - 6, "text-anchor": "middle", class: "tick" }, d.date.slice(5)),
      );
  });
  return h(
    "figure",
    { className: "chart-figure" },
    g,
    h(
      "figcaption",
      null,
      h("span", { className: "legend legend-sessions" }, "Connect sessions opened"),
      h("span", { className: "legend legend-linked" }, "Accounts linked"),
      " (UTC days)",
    ),
    h(
      "details",
      null,
      h("summary", null, "Show the numbers"),
      table(
        "Sessions opened and accounts linked per day",
        ["Day", "Sessions opened", "Accounts linked"],
        days.map((d) => [d.date, d.sessions_opened, d.accounts_linked]),
      ),
    ),
  );
}

const count = (n: number, noun: string) => `${n.toLocaleString()} ${noun}${n === 1 ? "" : "s"}`;

const percent = (r: number | null) => (r === null ? "—" : `${(r * 100).toFixed(r === 1 ? 0 : 1)}%`);

/**
 * A headline number: the figure large and in tabular digits, what it counts beside it, and the
 * list behind it as an ordinary link below (not the number itself).
 */
const stat = (value: string, label: string, link?: [string, string]) => [
  h(
    "p",
    { className: "stat" },
    h("span", { className: "stat-value" }, value),
    " ",
    h("span", { className: "stat-label" }, label),
  ),
  link ? h("p", { className: "stat-link" }, h("a", { href: link[0] }, link[1])) : null,
];

export async function overviewPage(ctx: PageContext): Promise<void> {
  replace(ctx.main, h("h1", null, "Overview"), h("p", { className: "loading" }, "Loading…"));
  const o = await api<Overview>("GET", `/projects/${ctx.projectId}/overview`);
  const w = o.webhooks;
  replace(
    ctx.main,
    h("h1", null, "Overview"),
    h(
      "div",
      { className: "cards" },
      h(
        "section",
        { className: "card", "aria-labelledby": "ov-accounts" },
        h("h2", { id: "ov-accounts" }, "Accounts"),
        stat(o.accounts.total.toLocaleString(), o.accounts.total === 1 ? "account" : "accounts", [
          ctx.href("/accounts"),
          "All accounts",
        ]),
        h("h3", null, "By status"),
        o.accounts.by_status.length
          ? h(
              "ul",
              { className: "counts" },
              o.accounts.by_status.map((s) =>
                h(
                  "li",
                  null,
                  h("a", { href: ctx.href(`/accounts?status=${encodeURIComponent(s.status)}`) }, s.status),
                  num(s.count),
                ),
              ),
            )
          : h("p", { className: "empty" }, "No accounts yet."),
        h("h3", null, "By provider"),
        h(
          "ul",
          { className: "counts" },
          o.accounts.by_provider.map((p) =>
            h(
              "li",
              null,
              h("a", { href: ctx.href(`/accounts?provider=${encodeURIComponent(p.provider)}`) }, p.name),
              num(p.count),
            ),
          ),
        ),
      ),
      h(
        "section",
        { className: "card", "aria-labelledby": "ov-webhooks" },
        h("h2", { id: "ov-webhooks" }, "Webhooks"),
        w.success_rate === null
          ? stat("0", "deliveries tried", [ctx.href("/webhooks"), "Endpoints"])
          : stat(percent(w.success_rate), "delivered", [ctx.href("/webhooks"), "Endpoints"]),
        h("p", { className: "hint" }, "Of the deliveries of the last 24 hours that were tried."),
        h(
          "ul",
          { className: "counts" },
          [
            ["delivered", "Delivered", w.delivered],
            ["retrying", "Retrying", w.retrying],
            ["failed", "Failed for good", w.failed],
            ["backlog", "Backlog (not yet delivered)", w.backlog],
          ].map(([state, label, count]) =>
            h(
              "li",
              null,
              h("a", { href: ctx.href(`/webhooks/deliveries?state=${state}`) }, label),
              num(count as number),
            ),
          ),
          h(
            "li",
            null,
            h("a", { href: ctx.href("/webhooks") }, "Endpoints active / disabled"),
            h("span", { className: "num" }, `${w.endpoints.active} / ${w.endpoints.disabled}`),
          ),
        ),
      ),
      h(
        "section",
        { className: "card", "aria-labelledby": "ov-refresh" },
        h("h2", { id: "ov-refresh" }, "Token refresh"),
        stat(
          o.refresh_failures.last_7_days.toLocaleString(),
          o.refresh_failures.last_7_days === 1 ? "failure" : "failures",
          [ctx.href("/logs?tab=events&type=refresh_failed"), "Refresh failures"],
        ),
        h("p", { className: "hint" }, "Failed token refreshes in the last 7 days."),
        h(
          "p",
          null,
          h(
            "a",
            { href: ctx.href("/accounts?status=error") },
            `${count(o.refresh_failures.accounts_in_error, "account")} in error`,
          ),
        ),
        o.request_log_dropped
          ? h(
              "p",
              { className: "alert" },
              `${o.request_log_dropped} request-log records dropped: the database lagged.`,
            )
          : null,
      ),
    ),
    h(
      "section",
      { className: "card wide", "aria-labelledby": "ov-activity" },
      h("h2", { id: "ov-activity" }, "Activity per day"),
      chart(o.per_day),
      h("p", null, h("a", { href: ctx.href("/logs") }, "See the request log")),
      h(
        "p",
        null,
        h(
          "a",
          { href: ctx.href("/logs?tab=refused") },
          `${count(o.refused_last_24h, "call")} refused with 429 (rate limits) in the last 24 hours`,
        ),
      ),
    ),
  );
}
