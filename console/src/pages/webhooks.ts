import { api, qs } from "../api.js";
import type { PageContext } from "../context.js";
import {
  actionForm,
  badge,
  breakable,
  copyable,
  dangerButton,
  field,
  filterForm,
  h,
  replace,
  roleNote,
  table,
  time,
  uid,
} from "../dom.js";
import type { Delivery, Endpoint } from "../types.js";

/** A secret shown once, with the reminder that it will not be shown again. */
function secretBox(title: string, secret: string): HTMLElement {
  return h(
    "section",
    { className: "once", "aria-label": title },
    h("h2", null, title),
    h("p", null, "Copy it now: it is shown this once."),
    copyable("Signing secret", secret),
  );
}

/**
 * Sends a test event to an endpoint and says what became of it: the delivery worker sends it
 * within a moment, so the answer is watched for a few seconds, then left to the deliveries list.
 */
async function sendTestEvent(
  ctx: PageContext,
  ep: Endpoint,
  status: HTMLElement,
  after?: () => Promise<void>,
): Promise<void> {
  const base = `/projects/${ctx.projectId}/webhooks`;
  const sent = await api<{ event_id: string; delivery_id: string }>("POST", `${base}/${ep.id}/test`);
  const detail = ctx.href(`/webhooks/deliveries/${encodeURIComponent(sent.delivery_id)}`);
  replace(status, `Test event ${sent.event_id} queued for ${ep.url}…`);
  ctx.notify("Test event sent");
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 500));
    const d = await api<{ delivery: Delivery }>(
      "GET",
      `${base}/deliveries/${encodeURIComponent(sent.delivery_id)}`,
    );
    const last = d.delivery.attempts.at(-1);
    if (!last) continue;
    replace(
      status,
      d.delivery.status === "delivered"
        ? `Test event delivered: ${ep.url} answered ${last.status_code}. `
        : `Test event not delivered: ${last.error ?? `HTTP ${last.status_code}`}; it will be retried. `,
      h("a", { href: detail }, "See the delivery"),
    );
    break;
  }
  if (!status.querySelector("a")) status.append(" ", h("a", { href: detail }, "See the delivery"));
  await after?.();
}

export async function webhooksPage(ctx: PageContext): Promise<void> {
  const base = `/projects/${ctx.projectId}/webhooks`;
  const admin = ctx.can("admin");
  replace(ctx.main, h("h1", null, "Webhooks"), h("p", { className: "loading" }, "Loading…"));
  const view = await api<{ event_types: string[]; endpoints: Endpoint[] }>("GET", base);
  const shown = h("div", { "aria-live": "polite" });
  const testStatus = h("p", { role: "status", className: "test-status" });

  const url = h("input", {
    type: "url",
    name: "url",
    required: true,
    placeholder: "https://api.example.com/portico-events",
  });
  const description = h("input", { type: "text", name: "description" });
  const events = h(
    "fieldset",
    { className: "checks" },
    h("legend", null, "Events (none: every event)"),
    view.event_types.map((t) => {
      const id = uid("ev");
      return h(
        "span",
        { className: "check" },
        h("input", { type: "checkbox", name: "events", value: t, id }),
        h("label", { for: id }, t),
      );
    }),
  );
  const add = actionForm(
    { className: "stack narrow", "aria-labelledby": "add-endpoint" },
    async (form) => {
      const created = await api<Endpoint & { secret: string }>("POST", base, {
        url: url.value.trim(),
        description: description.value.trim() || undefined,
        events: new FormData(form).getAll("events").map(String),
      });
      await render();
      replace(shown, secretBox(`Endpoint added: ${created.url}`, created.secret));
      ctx.notify("Endpoint added");
    },
    h("h2", { id: "add-endpoint" }, "Add an endpoint"),
    field("URL", url),
    field("Description (optional)", description),
    events,
    h("div", { className: "actions" }, h("button", { type: "submit", className: "primary" }, "Add endpoint")),
  );

  const since = h("input", { type: "datetime-local", name: "since", required: true });
  const replayStatus = h("p", { role: "status" });
  const replay = actionForm(
    { className: "stack narrow", "aria-labelledby": "replay-heading" },
    async () => {
      const r = await api<{ events: number; deliveries: number }>("POST", `${base}/replay`, {
        since: new Date(since.value).toISOString(),
      });
      replayStatus.textContent = `Queued ${r.deliveries.toLocaleString()} deliveries of ${r.events.toLocaleString()} events.`;
    },
    h("h2", { id: "replay-heading" }, "Replay"),
    field("Every event since (your local time)", since),
    replayStatus,
    h("div", { className: "actions" }, h("button", { type: "submit" }, "Replay events")),
  );

  const list = h("div");
  const render = async () => {
    const fresh = await api<{ endpoints: Endpoint[] }>("GET", base);
    replace(
      list,
      table(
        "Webhook endpoints",
        ["Endpoint", "Events", "Status", "Created", "Actions"],
        fresh.endpoints.map((ep) => [
          h("a", { href: ctx.href(`/webhooks/${ep.id}`), className: "mono" }, breakable(ep.url)),
          ep.events?.join(", ") ?? "all",
          h(
            "span",
            null,
            badge(ep.status),
            ep.disabled_reason ? h("span", { className: "sub" }, ep.disabled_reason) : null,
          ),
          time(ep.created_at),
          h(
            "div",
            { className: "actions" },
            h(
              "a",
              { href: ctx.href(`/webhooks/${ep.id}`), className: "button" },
              "Deliveries",
              h("span", { className: "visually-hidden" }, ` of ${ep.url}`),
            ),
            admin
              ? [
                  h(
                    "button",
                    {
                      type: "button",
                      disabled: ep.status !== "active",
                      onClick: (e: Event) => {
                        const button = e.currentTarget as HTMLButtonElement;
                        button.disabled = true;
                        sendTestEvent(ctx, ep, testStatus)
                          .catch((err: Error) => replace(testStatus, err.message))
                          .finally(() => {
                            button.disabled = false;
                          });
                      },
                    },
                    "Send a test event",
                    h("span", { className: "visually-hidden" }, ` to ${ep.url}`),
                  ),
                  h(
                    "button",
                    {
                      type: "button",
                      onClick: async () => {
                        const r = await api<Endpoint & { secret: string }>(
                          "POST",
                          `${base}/${ep.id}/rotate-secret`,
                        );
                        replace(shown, secretBox(`New secret for ${ep.url}`, r.secret));
                        ctx.notify("Secret rotated");
                      },
                    },
                    "Rotate secret",
                    h("span", { className: "visually-hidden" }, ` of ${ep.url}`),
                  ),
                  h(
                    "button",
                    {
                      type: "button",
                      onClick: async () => {
                        await api(
                          "POST",
                          `${base}/${ep.id}/${ep.status === "active" ? "disable" : "enable"}`,
                        );
                        ctx.notify(`Endpoint ${ep.status === "active" ? "disabled" : "enabled"}`);
                        await render();
                      },
                    },
                    ep.status === "active" ? "Disable" : "Enable",
                    h("span", { className: "visually-hidden" }, ` ${ep.url}`),
                  ),
                  dangerButton(
                    "Remove",
                    ep.url,
                    {
                      title: "Remove this endpoint?",
                      text: `${ep.url} gets no more events; its pending deliveries are dropped.`,
                      confirm: "Remove endpoint",
                    },
                    async () => {
                      await api("DELETE", `${base}/${ep.id}`);
                      ctx.notify("Endpoint removed");
                      await render();
                    },
                  ),
                ]
              : null,
          ),
        ]),
        "No endpoints yet.",
      ),
    );
  };
  await render();
  replace(
    ctx.main,
    h("h1", null, "Webhooks"),
    h(
      "p",
      null,
      "Portico tells your backend about account changes, signed with each endpoint's secret. ",
      h("a", { href: ctx.href("/webhooks/deliveries") }, "Deliveries to every endpoint"),
    ),
    admin ? null : roleNote(ctx.me.role, "admin", "adding, testing and changing endpoints"),
    shown,
    testStatus,
    list,
    admin ? h("div", { className: "columns" }, add, replay) : null,
  );
}

/** The overview's groups, as the API's `state` filter names them. */
const STATES: [string, string][] = [
  ["backlog", "Backlog (not yet delivered)"],
  ["retrying", "Retrying"],
  ["waiting", "Waiting for a first attempt"],
  ["delivered", "Delivered"],
  ["failed", "Failed for good"],
];

/**
 * Deliveries, newest first: one endpoint's (`/webhooks/<id>`) or the project's to every endpoint
 * (`/webhooks/deliveries`, where the overview's counts lead), optionally of one state.
 */
export async function deliveriesPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0];
  const state = ctx.query.get("state") ?? "";
  const base = `/projects/${ctx.projectId}/webhooks`;
  const here = id ? `/webhooks/${encodeURIComponent(id)}` : "/webhooks/deliveries";
  const admin = ctx.can("admin");
  replace(ctx.main, h("h1", null, "Deliveries"), h("p", { className: "loading" }, "Loading…"));
  const [view, deliveries] = await Promise.all([
    api<{ endpoints: Endpoint[] }>("GET", base),
    api<Delivery[]>(
      "GET",
      `${base}/${id ? `${encodeURIComponent(id)}/` : ""}deliveries${qs({ state, limit: 100 })}`,
    ),
  ]);
  const urlOf = (endpointId: string) => view.endpoints.find((e) => e.id === endpointId)?.url ?? endpointId;
  const endpoint = id ? view.endpoints.find((e) => e.id === id) : undefined;
  const status = h("div", { role: "status" });
  const select = h(
    "select",
    { name: "state" },
    h("option", { value: "" }, "Every state"),
    STATES.map(([value, label]) => h("option", { value, selected: value === state }, label)),
  );
  const form = filterForm(
    "Filter deliveries",
    ctx.href(here),
    (data) => ctx.navigate(ctx.href(`${here}${qs({ state: String(data.get("state") ?? "") })}`)),
    field("State", select),
  );
  const stateLabel = STATES.find(([value]) => value === state)?.[1];
  const testButton =
    admin && endpoint
      ? h(
          "button",
          {
            type: "button",
            disabled: endpoint.status !== "active",
            onClick: (e: Event) => {
              const button = e.currentTarget as HTMLButtonElement;
              button.disabled = true;
              sendTestEvent(ctx, endpoint, status, () => deliveriesPage(ctx))
                .catch((err: Error) => replace(status, err.message))
                .finally(() => {
                  button.disabled = false;
                });
            },
          },
          "Send a test event",
        )
      : null;
  replace(
    ctx.main,
    h(
      "p",
      { className: "crumbs" },
      h("a", { href: ctx.href("/webhooks") }, "Webhooks"),
      " / ",
      id ?? "Deliveries",
    ),
    h(
      "h1",
      null,
      id ? ["Deliveries to ", breakable(urlOf(id))] : "Deliveries to every endpoint",
      stateLabel ? `: ${stateLabel.toLowerCase()}` : "",
    ),
    testButton ? h("div", { className: "actions" }, testButton) : null,
    form,
    status,
    table(
      "Deliveries",
      [
        ...(id ? [] : ["Endpoint"]),
        "Event",
        "Status",
        "Attempts",
        "Response",
        "Duration (ms)",
        "Next retry",
        "Created",
        "",
      ],
      deliveries.map((d) => {
        const last = d.attempts.at(-1);
        return [
          ...(id
            ? []
            : [
                h(
                  "a",
                  { href: ctx.href(`/webhooks/${encodeURIComponent(d.endpoint_id)}`) },
                  breakable(urlOf(d.endpoint_id)),
                ),
              ]),
          h(
            "span",
            null,
            h(
              "a",
              { href: ctx.href(`/webhooks/deliveries/${encodeURIComponent(d.id)}`) },
              d.type,
              h("span", { className: "visually-hidden" }, ` ${d.event_id}: payload and headers`),
            ),
            h("span", { className: "sub mono" }, d.event_id),
          ),
          badge(d.status),
          d.attempts.length,
          last ? (last.status_code ?? last.error ?? "—") : "—",
          last ? last.duration_ms : "—",
          time(d.next_attempt_at),
          time(d.created_at),
          admin
            ? h(
                "button",
                {
                  type: "button",
                  onClick: async () => {
                    const r = await api<{ deliveries: number }>("POST", `${base}/replay`, {
                      event_id: d.event_id,
                      endpoint_id: d.endpoint_id,
                    });
                    replace(status, `Queued ${r.deliveries} delivery of ${d.event_id}.`);
                  },
                },
                "Replay",
                h("span", { className: "visually-hidden" }, ` ${d.event_id}`),
              )
            : "",
        ];
      }),
      state ? "No deliveries in this state." : "No deliveries yet.",
    ),
  );
}
