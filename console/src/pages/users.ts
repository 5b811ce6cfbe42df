import { api } from "../api.js";
import type { PageContext } from "../context.js";
import {
  actionForm,
  alertBox,
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
import type { ConsoleSession, ConsoleUser, Role } from "../types.js";
import { browserName, METHOD_TEXT, ROLE_TEXT } from "../words.js";

const ROLES: Role[] = ["viewer", "admin", "owner"];

/** An invitation link, shown once to the owner who made it, to hand on. */
function invitationBox(invitation: { url: string; expires_at: string; user: ConsoleUser }): HTMLElement {
  return h(
    "section",
    { className: "once", "aria-label": `Invitation for ${invitation.user.email}` },
    h("h2", null, `Invitation for ${invitation.user.email} (${invitation.user.role})`),
    h(
      "p",
      null,
      "Send them this link. It signs them in once, until ",
      h("time", { datetime: invitation.expires_at }, new Date(invitation.expires_at).toLocaleString()),
      "; it is shown this once.",
    ),
    copyable("Invitation link", invitation.url),
  );
}

/**
 * The organization's operators: everyone sees who they are; owners invite (a one-time link to
 * hand on), change roles, remove (which ends their sessions at once), and see and end every
 * session of the organization.
 */
export async function usersPage(ctx: PageContext): Promise<void> {
  const base = `/organizations/${ctx.project.organization_id}`;
  const owner = ctx.can("owner");
  replace(ctx.main, h("h1", null, "Users"), h("p", { className: "loading" }, "Loading…"));
  const shown = h("div", { "aria-live": "polite" });
  const problem = h("div");
  const list = h("div");
  const sessions = h("div");

  const renderSessions = async () => {
    if (!owner) return;
    const all = await api<ConsoleSession[]>("GET", `${base}/sessions`);
    replace(
      sessions,
      table(
        "Sessions of every user",
        ["Who", "Role", "Signed in with", "Browser", "Signed in", "Last seen", ""],
        all.map((s) => [
          h("span", null, s.operator, s.current ? h("span", { className: "sub" }, "this browser") : null),
          badge(s.role, `role-${s.role}`),
          METHOD_TEXT[s.method] ?? s.method,
          browserName(s.user_agent),
          time(s.created_at),
          time(s.last_seen_at),
          dangerButton(
            "End",
            `${s.operator}'s session (${browserName(s.user_agent)}, since ${new Date(s.created_at).toLocaleString()})`,
            {
              title: "End this session?",
              text: `${s.operator} is signed out of that browser at once.`,
              confirm: "End session",
            },
            async () => {
              await api("DELETE", `${base}/sessions/${encodeURIComponent(s.id)}`);
              ctx.notify(`Ended ${s.operator}'s session`);
              if (s.current) window.location.assign("/console/sign-in");
              else await renderSessions();
            },
          ),
        ]),
        "Nobody is signed in.",
      ),
    );
  };

  const render = async () => {
    const users = await api<ConsoleUser[]>("GET", `${base}/users`);
    const run = async (fn: () => Promise<void>) => {
      replace(problem);
      try {
        await fn();
      } catch (err) {
        replace(problem, alertBox((err as Error).message));
      }
    };
    replace(
      list,
      table(
        "Users",
        ["Email", "Role", "Status", "Last sign-in", "Invited by", ...(owner ? ["Actions"] : [])],
        users.map((u) => {
          const role = h(
            "select",
            { "aria-label": `Role of ${u.email}`, disabled: !owner },
            ROLES.map((r) => h("option", { value: r, selected: r === u.role }, r)),
          );
          role.addEventListener("change", () =>
            run(async () => {
              try {
                await api("PATCH", `${base}/users/${encodeURIComponent(u.id)}`, { role: role.value });
                ctx.notify(`${u.email} is now ${role.value === "viewer" ? "a" : "an"} ${role.value}`);
              } finally {
                await render();
                await renderSessions();
              }
            }),
          );
          return [
            h("span", { className: "email" }, u.email),
            owner ? role : badge(u.role, `role-${u.role}`),
            badge(u.status, u.status === "active" ? "active" : "pending"),
            time(u.last_sign_in_at),
            u.created_by ?? "—",
            ...(owner
              ? [
                  h(
                    "div",
                    { className: "actions" },
                    u.status === "invited"
                      ? h(
                          "button",
                          {
                            type: "button",
                            onClick: () =>
                              run(async () => {
                                replace(
                                  shown,
                                  invitationBox(
                                    await api("POST", `${base}/users`, { email: u.email, role: u.role }),
                                  ),
                                );
                                ctx.notify(`New invitation for ${u.email}`);
                              }),
                          },
                          "New link",
                          h("span", { className: "visually-hidden" }, ` for ${u.email}`),
                        )
                      : null,
                    dangerButton(
                      "Remove",
                      u.email,
                      {
                        title: `Remove ${u.email}?`,
                        text: `${u.email} is signed out everywhere at once and can no longer sign in, with a link or single sign-on, until invited again.`,
                        confirm: "Remove user",
                      },
                      () =>
                        run(async () => {
                          await api("DELETE", `${base}/users/${encodeURIComponent(u.id)}`);
                          ctx.notify(`Removed ${u.email}`);
                          await render();
                          await renderSessions();
                        }),
                    ),
                  ),
                ]
              : []),
          ];
        }),
        "No users yet: invite the first one below, or sign in with a break-glass link.",
      ),
    );
  };

  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "off" });
  const role = h(
    "select",
    { name: "role" },
    ROLES.map((r) => h("option", { value: r, selected: r === "viewer" }, `${r}: ${ROLE_TEXT[r]}`)),
  );
  const invite = actionForm(
    { className: "stack narrow", "aria-labelledby": "invite-heading" },
    async () => {
      const invitation = await api<{ url: string; expires_at: string; user: ConsoleUser }>(
        "POST",
        `${base}/users`,
        { email: email.value.trim(), role: role.value },
      );
      email.value = "";
      replace(shown, invitationBox(invitation));
      ctx.notify(`Invited ${invitation.user.email}`);
      await render();
    },
    h("h2", { id: "invite-heading" }, "Invite someone"),
    field("Email", email),
    field("Role", role),
    h("div", { className: "actions" }, h("button", { type: "submit", className: "primary" }, "Invite")),
  );

  await Promise.all([render(), renderSessions()]);
  replace(
    ctx.main,
    h("h1", null, "Users"),
    h(
      "p",
      null,
      "The people who can sign in to this organization's console, and what their role lets them do:",
    ),
    h(
      "dl",
      { className: "fields roles" },
      ROLES.slice()
        .reverse()
        .map((r) => [h("dt", null, badge(r, `role-${r}`)), h("dd", null, ROLE_TEXT[r])]),
    ),
    owner ? null : roleNote(ctx.me.role, "owner", "inviting, changing and removing operators"),
    shown,
    problem,
    list,
    owner ? invite : null,
    owner
      ? h(
          "section",
          { "aria-labelledby": "all-sessions" },
          h("h2", { id: "all-sessions" }, "Sessions"),
          h("p", { className: "hint" }, "Every browser signed in to this organization's console."),
          sessions,
        )
      : null,
  );
}
