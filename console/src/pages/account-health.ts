import { api } from "../api.js";
import { alertBox, badge, h, replace, time } from "../dom.js";
import type { AccountHealth } from "../types.js";

const RESULT_TEXT: Record<string, string> = {
  ok: "Credentials accepted",
  rejected: "Credentials refused",
  inconclusive: "The provider did not say",
  refresh_failed: "Token refresh failed",
  unsupported: "Not checkable",
};

/**
 * The account page's health panel: when the credentials were last checked with the provider, what
 * that found, when the next check is due, and a button to check now.
 */
export async function healthSection(
  base: string,
  canCheck: boolean,
  notify: (m: string) => void,
  onChange: () => void,
) {
  const body = h("div");
  const section = h(
    "section",
    { "aria-labelledby": "health-heading", className: "stack" },
    h("h2", { id: "health-heading" }, "Connection health"),
    body,
  );
  const draw = (v: AccountHealth) => {
    const button = h(
      "button",
      {
        type: "button",
        disabled: !v.checkable,
        onClick: async () => {
          button.disabled = true;
          button.textContent = "Checking…";
          try {
            const next = await api<AccountHealth>("POST", `${base}/check`);
            notify(`Check done: ${RESULT_TEXT[next.result ?? ""] ?? next.result}`);
            if (next.status !== v.status) onChange();
            else draw(next);
          } catch (err) {
            body.append(alertBox((err as Error).message));
            button.disabled = false;
            button.textContent = "Check now";
          }
        },
      },
      "Check now",
    );
    replace(
      body,
      h(
        "dl",
        { className: "fields" },
        h("dt", null, "Last check"),
        h("dd", null, v.last_checked_at ? time(v.last_checked_at) : "never"),
        h("dt", null, "Result"),
        h(
          "dd",
          null,
          v.result
            ? badge(
                RESULT_TEXT[v.result] ?? v.result,
                v.result === "ok" ? "ok" : v.result === "rejected" ? "error" : "pending",
              )
            : "—",
          v.detail ? h("span", { className: "sub" }, v.detail) : null,
        ),
        h("dt", null, "Next check"),
        h("dd", null, v.next_check_at ? time(v.next_check_at) : v.checkable ? "not scheduled" : "—"),
      ),
      v.checkable
        ? null
        : h(
            "p",
            { className: "hint" },
            "This provider's catalog entry has no verification request to check with.",
          ),
      // Running a check talks to the provider and may change the account: admins and owners only.
      canCheck ? h("div", { className: "actions" }, button) : null,
    );
  };
  draw(await api<AccountHealth>("GET", `${base}/health`));
  return section;
}
