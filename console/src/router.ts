import { ApiError, api } from "./api.js";
import { type PageContext, type Render, roleAllows } from "./context.js";
import { alertBox, badge, h, replace } from "./dom.js";
import { accountPage } from "./pages/account.js";
import { accountsPage } from "./pages/accounts.js";
import { apiKeysPage } from "./pages/api-keys.js";
import { connectPage } from "./pages/connect.js";
import { deliveryPage } from "./pages/delivery.js";
import { hostedPagePage } from "./pages/hosted-page.js";
import { integrationsPage } from "./pages/integrations.js";
import { logsPage } from "./pages/logs.js";
import { overviewPage } from "./pages/overview.js";
import { sessionsPage } from "./pages/sessions.js";
import { settingsPage } from "./pages/settings.js";
import { usersPage } from "./pages/users.js";
import { deliveriesPage, webhooksPage } from "./pages/webhooks.js";
import type { Me, Project } from "./types.js";

type Route = { pattern: RegExp; nav: string; title: string; render: Render };

const ROUTES: Route[] = [
  { pattern: /^$/, nav: "overview", title: "Overview", render: overviewPage },
  { pattern: /^\/accounts$/, nav: "accounts", title: "Accounts", render: accountsPage },
  { pattern: /^\/accounts\/([^/]+)$/, nav: "accounts", title: "Account", render: accountPage },
  { pattern: /^\/connect$/, nav: "connect", title: "Connect", render: connectPage },
  { pattern: /^\/integrations$/, nav: "integrations", title: "Integrations", render: integrationsPage },
  { pattern: /^\/webhooks$/, nav: "webhooks", title: "Webhooks", render: webhooksPage },
  { pattern: /^\/webhooks\/deliveries$/, nav: "webhooks", title: "Deliveries", render: deliveriesPage },
  { pattern: /^\/webhooks\/deliveries\/([^/]+)$/, nav: "webhooks", title: "Delivery", render: deliveryPage },
  { pattern: /^\/webhooks\/([^/]+)$/, nav: "webhooks", title: "Deliveries", render: deliveriesPage },
  { pattern: /^\/api-keys$/, nav: "api-keys", title: "API keys", render: apiKeysPage },
  { pattern: /^\/logs$/, nav: "logs", title: "Logs", render: logsPage },
  { pattern: /^\/hosted-page$/, nav: "hosted-page", title: "Hosted page", render: hostedPagePage },
  { pattern: /^\/users$/, nav: "users", title: "Users", render: usersPage },
  { pattern: /^\/sessions$/, nav: "", title: "Your sessions", render: sessionsPage },
  { pattern: /^\/settings$/, nav: "settings", title: "Settings", render: settingsPage },
];

const NAV: [string, string, string][] = [
  ["overview", "", "Overview"],
  ["accounts", "/accounts", "Accounts"],
  ["connect", "/connect", "Connect"],
  ["integrations", "/integrations", "Integrations"],
  ["webhooks", "/webhooks", "Webhooks"],
  ["api-keys", "/api-keys", "API keys"],
  ["logs", "/logs", "Logs"],
  ["hosted-page", "/hosted-page", "Hosted page"],
  ["users", "/users", "Users"],
  ["settings", "/settings", "Settings"],
];

const app = document.getElementById("app")!;
let projects: Project[] = [];
let me: Me;
let renderId = 0;

const projectBase = (id: string) => `/console/projects/${encodeURIComponent(id)}`;

function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void render();
}

async function signOut(): Promise<void> {
  await api("POST", "/sign-out");
  window.location.assign("/console/sign-in");
}

/** Announcements outlive page changes (a save that re-draws the page still says it saved). */
const live = h("div", { className: "toast", role: "status", "aria-live": "polite" });
document.body.append(live);

/** The frame around every page: skip link, header with project switcher and who is signed in, navigation, main. */
function layout(projectId: string, active: string): { main: HTMLElement } {
  const select = h(
    "select",
    { id: "project-switcher", onChange: (e: Event) => switchProject((e.target as HTMLSelectElement).value) },
    projects.map((p) =>
      h(
        "option",
        { value: p.project_id, selected: p.project_id === projectId },
        `${p.name} (${p.project_id})`,
      ),
    ),
  );
  const main = h("main", { id: "main", tabindex: "-1" });
  replace(
    app,
    h("a", { href: "#main", className: "skip" }, "Skip to content"),
    h(
      "header",
      { className: "top" },
      h("a", { href: projectBase(projectId), className: "brand" }, "Portico"),
      h("div", { className: "switcher" }, h("label", { for: "project-switcher" }, "Project"), select),
      h(
        "div",
        { className: "who" },
        h(
          "span",
          { className: "who-name" },
          h("span", { className: "visually-hidden" }, "Signed in as "),
          h("strong", null, me.email ?? me.operator),
          " ",
          badge(me.role, `role-${me.role}`),
          me.email ? null : h("span", { className: "sub-inline" }, " break-glass link"),
        ),
        h("a", { href: `${projectBase(projectId)}/sessions` }, "Your sessions"),
        h("button", { type: "button", onClick: () => void signOut() }, "Sign out"),
      ),
    ),
    h(
      "nav",
      { "aria-label": "Console" },
      h(
        "ul",
        null,
        NAV.map(([key, path, label]) =>
          h(
            "li",
            null,
            h(
              "a",
              {
                href: `${projectBase(projectId)}${path}`,
                "aria-current": key === active ? "page" : undefined,
              },
              label,
            ),
          ),
        ),
      ),
    ),
    main,
  );
  return { main };
}

function switchProject(id: string): void {
  const m = /^\/console\/projects\/[^/]+(\/[a-z-]+)?/.exec(location.pathname);
  navigate(`${projectBase(id)}${m?.[1] ?? ""}`);
}

async function render(): Promise<void> {
  const id = ++renderId;
  const m = /^\/console\/projects\/([^/]+)(\/.*)?$/.exec(location.pathname.replace(/\/$/, ""));
  if (!m) {
    navigate(projectBase(projects[0]!.project_id), { replace: true });
    return;
  }
  const projectId = decodeURIComponent(m[1]!);
  const rest = m[2] ?? "";
  const route = ROUTES.find((r) => r.pattern.test(rest));
  const project = projects.find((p) => p.project_id === projectId);
  if (!project) {
    const { main } = layout(projects[0]!.project_id, "");
    replace(main, h("h1", null, "Project not found"), alertBox(`There is no project ${projectId}.`));
    return;
  }
  const { main } = layout(projectId, route?.nav ?? "");
  document.title = `${route?.title ?? "Not found"} · Portico console`;
  if (!route) {
    replace(main, h("h1", null, "Page not found"));
    return;
  }
  const ctx: PageContext = {
    main,
    projectId,
    project,
    params: (route.pattern.exec(rest) ?? []).slice(1).map(decodeURIComponent),
    query: new URLSearchParams(location.search),
    me,
    can: (role) => roleAllows(me.role, role),
    href: (path) => `${projectBase(projectId)}${path}`,
    navigate,
    notify: (message) => {
      live.textContent = message;
      setTimeout(() => {
        if (live.textContent === message) live.textContent = "";
      }, 5000);
    },
  };
  try {
    await route.render(ctx);
  } catch (err) {
    if (id !== renderId) return;
    main.append(
      alertBox(err instanceof ApiError ? err.message : `Something went wrong: ${(err as Error).message}`),
    );
  }
  if (id === renderId) main.querySelector("h1")?.setAttribute("tabindex", "-1");
}

// Links inside the console change pages without reloading it.
document.addEventListener("click", (e) => {
  const a = (e.target as Element).closest?.("a");
  if (
    !a ||
    a.target ||
    e.defaultPrevented ||
    e.button !== 0 ||
    e.metaKey ||
    e.ctrlKey ||
    e.shiftKey ||
    e.altKey
  )
    return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/console/projects")) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
  document.getElementById("main")?.focus();
});
window.addEventListener("popstate", () => void render());

/** Loads who is signed in and their projects, then draws the page the URL names. */
export async function start(): Promise<void> {
  try {
    [me, projects] = await Promise.all([api<Me>("GET", "/me"), api<Project[]>("GET", "/projects")]);
  } catch (err) {
    replace(
      app,
      h("main", { id: "main" }, h("h1", null, "Portico console"), alertBox((err as Error).message)),
    );
    return;
  }
  if (!projects.length) {
    replace(
      app,
      h("main", { id: "main" }, h("h1", null, "No project yet"), h("p", null, "Run portico init.")),
    );
    return;
  }
  await render();
}
