import { api } from "../api.js";
import type { PageContext } from "../context.js";
import { badge, dangerButton, h, replace, table, time } from "../dom.js";
import type { ConsoleSession } from "../types.js";
import { browserName, METHOD_TEXT } from "../words.js";

/**
 * The operator's own sessions: every browser they are signed in on, which they may end (ending
 * this one signs out). Sessions also end after the idle and absolute limits.
 */
export async function sessionsPage(ctx: PageContext): Promise<void> {
  replace(ctx.main, h("h1", null, "Your sessions"), h("p", { className: "loading" }, "Loading…"));
  const list = h("div");
  const render = async () => {
    const mine = await api<ConsoleSession[]>("GET", "/sessions");
    replace(
      list,
      table(
        "Your sessions",
        ["Browser", "Signed in with", "Signed in", "Last seen", "Ends if idle", ""],
        mine.map((s) => [
          h(
            "span",
            null,
            browserName(s.user_agent),
            s.current ? [" ", badge("this browser", "active")] : null,
          ),
          METHOD_TEXT[s.method] ?? s.method,
          time(s.created_at),
          time(s.last_seen_at),
          time(s.expires_at),
          dangerButton(
            s.current ? "Sign out here" : "End",
            s.current
              ? ""
              : `session of ${browserName(s.user_agent)} since ${new Date(s.created_at).toLocaleString()}`,
            {
              title: s.current ? "Sign out of this browser?" : "End this session?",
              text: s.current
                ? "You are signed out of the console here."
                : "That browser is signed out of the console at once.",
              confirm: "End session",
            },
            async () => {
              await api("DELETE", `/sessions/${encodeURIComponent(s.id)}`);
              if (s.current) window.location.assign("/console/sign-in");
              else {
                ctx.notify("Session ended");
                await render();
              }
            },
          ),
        ]),
      ),
    );
  };
  await render();
  replace(
    ctx.main,
    h("h1", null, "Your sessions"),
    h(
      "p",
      null,
      `Signed in as ${ctx.me.email ?? `${ctx.me.operator} (break-glass link)`}, ${ctx.me.role === "viewer" ? "a" : "an"} ${ctx.me.role}. `,
      "Every browser you are signed in on. A session ends when you end it or sign out, after a while without use, or after a day in any case.",
    ),
    list,
  );
}
