import { ApiError, api } from "../api.js";
import type { PageContext } from "../context.js";
import { alertBox, badge, breakable, codeBlock, h, replace, table, time } from "../dom.js";
import type { DeliveryDetail } from "../types.js";

/**
 * One delivery: what it sends (the event's JSON body and the headers of its last attempt, the
 * signatures left out) and how every attempt went.
 */
export async function deliveryPage(ctx: PageContext): Promise<void> {
  const id = ctx.params[0]!;
  replace(ctx.main, h("h1", null, "Delivery"), h("p", { className: "loading" }, "Loading…"));
  let detail: DeliveryDetail;
  try {
    detail = await api<DeliveryDetail>(
      "GET",
      `/projects/${ctx.projectId}/webhooks/deliveries/${encodeURIComponent(id)}`,
    );
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(ctx.main, h("h1", null, "Delivery not found"), alertBox(err.message));
      return;
    }
    throw err;
  }
  const d = detail.delivery;
  replace(
    ctx.main,
    h(
      "p",
      { className: "crumbs" },
      h("a", { href: ctx.href("/webhooks") }, "Webhooks"),
      " / ",
      h(
        "a",
        { href: ctx.href(`/webhooks/${encodeURIComponent(d.endpoint_id)}`) },
        breakable(detail.endpoint_url),
      ),
      " / ",
      d.id,
    ),
    h("h1", null, `${d.type} delivery`),
    h(
      "dl",
      { className: "fields" },
      h("dt", null, "Status"),
      h("dd", null, badge(d.status)),
      h("dt", null, "Event"),
      h("dd", null, h("code", null, d.event_id)),
      h("dt", null, "Endpoint"),
      h("dd", null, h("code", null, breakable(detail.endpoint_url))),
      h("dt", null, "Created"),
      h("dd", null, time(d.created_at)),
      h("dt", null, "Next attempt"),
      h("dd", null, time(d.next_attempt_at)),
      h("dt", null, "Delivered"),
      h("dd", null, time(d.delivered_at)),
    ),
    h(
      "section",
      { "aria-labelledby": "attempts" },
      h("h2", { id: "attempts" }, "Attempts"),
      table(
        "Attempts",
        ["Attempt", "Time", "Response", "Duration (ms)", "Error"],
        d.attempts.map((a) => [a.attempt, time(a.at), a.status_code ?? "—", a.duration_ms, a.error ?? "—"]),
        "Not tried yet.",
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "headers" },
      h("h2", { id: "headers" }, "Headers"),
      h(
        "p",
        { className: "hint" },
        "As the last attempt sent them. Signatures are made with the endpoint's signing secret and are not shown.",
      ),
      table(
        "Headers",
        ["Header", "Value"],
        Object.entries(detail.headers).map(([k, v]) => [h("code", null, k), v]),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "payload" },
      h("h2", { id: "payload" }, "Payload"),
      h("p", { className: "hint" }, "The JSON body of every attempt."),
      codeBlock("Payload JSON", detail.payload),
    ),
  );
}
