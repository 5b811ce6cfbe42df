import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleFetch, invite, signIn, signInWith, userCookie } from "../helpers/console.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type Op = { method: string; path: string };

/** Every change the console API offers, read from its OpenAPI document (so a new one is covered). */
async function consoleMutations(s: TestServer): Promise<Op[]> {
  const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith("/console/api/"))
    .flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== "get" && m !== "head")
        .map((m) => ({ method: m.toUpperCase(), path: path.slice("/console/api".length) })),
    );
}

const key = (op: Op) => `${op.method} ${op.path}`;

/** What every role may do to itself: end its own session. */
const SELF = new Set(["POST /sign-out", "DELETE /sessions/{id}"]);
/** Managing operators: owners only. */
const OWNER = new Set([
  "POST /organizations/{organizationId}/users",
  "PATCH /organizations/{organizationId}/users/{id}",
  "DELETE /organizations/{organizationId}/users/{id}",
  "DELETE /organizations/{organizationId}/sessions/{id}",
]);

/** Roles in the console API, on both dialects: who may change what, and who did. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`console roles on ${dialect}`, () => {
    let s: TestServer;
    let owner: string;
    let admin: string;
    let viewer: string;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      owner = await userCookie(s, "olivia@acme.example", "owner");
      admin = await userCookie(s, "adam@acme.example", "admin");
      viewer = await userCookie(s, "vera@acme.example", "viewer");
    });
    afterAll(() => s?.close());

    const call = (cookie: string, op: Op, body: unknown = {}) => {
      const path = op.path
        .replace("{projectId}", s.projectId)
        .replace("{organizationId}", String(s.organizationId))
        .replace("{provider}", "bamboohr")
        .replace(/\{[A-Za-z]+\}/g, "nope");
      return consoleFetch(s, cookie, op.method, path, op.method === "DELETE" ? undefined : body);
    };

    it("answers /me with the user's email and role", async () => {
      for (const [cookie, email, role] of [
        [owner, "olivia@acme.example", "owner"],
        [admin, "adam@acme.example", "admin"],
        [viewer, "vera@acme.example", "viewer"],
      ] as const) {
        const me = await consoleFetch(s, cookie, "GET", "/me");
        expect(me.status).toBe(200);
        expect(await me.json()).toMatchObject({
          email,
          role,
          operator: email,
          organization_id: s.organizationId,
          method: "invitation",
        });
      }
      expect(await (await consoleFetch(s, await signIn(s), "GET", "/me")).json()).toMatchObject({
        email: null,
        role: "owner",
        organization_id: null,
        method: "link",
      });
    });

    it("refuses a viewer every console change, with a 403 naming the role it needs, while an admin and an owner are not refused", async () => {
      const ops = (await consoleMutations(s)).filter((op) => !SELF.has(key(op)));
      expect(ops.length).toBeGreaterThanOrEqual(20);
      const keysBefore = (await s.ctx.tenancy.listApiKeys(s.projectId)).length;
      for (const op of ops) {
        const needs = OWNER.has(key(op)) ? "owner" : "admin";
        const res = await call(viewer, op);
        expect(res.status, `viewer ${key(op)}`).toBe(403);
        const body = await res.json();
        expect(body.message, key(op)).toBe(
          `role: this needs the ${needs} role; vera@acme.example is a viewer`,
        );
        expect(body.statusCode).toBe(403);
      }
      for (const op of ops) {
        const res = await call(admin, op);
        if (OWNER.has(key(op))) {
          expect(res.status, `admin ${key(op)}`).toBe(403);
          expect((await res.json()).message).toMatch(
            /^role: this needs the owner role; adam@acme\.example is an admin$/,
          );
        } else expect(res.status, `admin ${key(op)}`).not.toBe(403);
      }
      for (const op of ops) expect((await call(owner, op)).status, `owner ${key(op)}`).not.toBe(403);
      // The viewer's refusals changed nothing.
      expect((await s.ctx.tenancy.listApiKeys(s.projectId)).length).toBeGreaterThanOrEqual(keysBefore);
      const viewerKeys = await consoleFetch(s, viewer, "POST", `/projects/${s.projectId}/api-keys`, {
        name: "viewer's",
      });
      expect(viewerKeys.status).toBe(403);
      expect((await s.ctx.tenancy.listApiKeys(s.projectId)).some((k) => k.name === "viewer's")).toBe(false);
    });

    it("says each route's role in the OpenAPI document", async () => {
      const doc = await (await fetch(`${s.url}/openapi.json`)).json();
      expect(doc.paths["/console/api/projects/{projectId}/api-keys"].post.description).toMatch(
        /Role: admin or owner; a viewer gets a 403\./,
      );
      expect(doc.paths["/console/api/organizations/{organizationId}/users"].post.description).toMatch(
        /Role: owner;/,
      );
      expect(doc.paths["/console/api/me"].get.description).toMatch(/Role: any signed-in operator/);
    });

    it("lets a viewer read every page an admin reads", async () => {
      const p = `/projects/${s.projectId}`;
      for (const path of [
        "/me",
        "/projects",
        "/settings",
        "/sessions",
        `/organizations/${s.organizationId}/users`,
        `${p}/overview`,
        `${p}/accounts`,
        `${p}/integrations`,
        `${p}/webhooks`,
        `${p}/webhooks/deliveries`,
        `${p}/api-keys`,
        `${p}/logs/requests`,
        `${p}/logs/events`,
        `${p}/logs/audit`,
      ])
        expect((await consoleFetch(s, viewer, "GET", path)).status, path).toBe(200);
      // Every user's sessions are the owners' to see.
      expect(
        (await consoleFetch(s, viewer, "GET", `/organizations/${s.organizationId}/sessions`)).status,
      ).toBe(403);
    });

    it("applies a role change at the user's next request", async () => {
      const cookie = await userCookie(s, "rita@acme.example", "viewer");
      const path = `/projects/${s.projectId}/api-keys`;
      expect((await consoleFetch(s, cookie, "POST", path, { name: "rita" })).status).toBe(403);
      const users = await (
        await consoleFetch(s, owner, "GET", `/organizations/${s.organizationId}/users`)
      ).json();
      const rita = users.find((u: { email: string }) => u.email === "rita@acme.example");
      const patched = await consoleFetch(
        s,
        owner,
        "PATCH",
        `/organizations/${s.organizationId}/users/${rita.id}`,
        {
          role: "admin",
        },
      );
      expect(patched.status).toBe(200);
      expect(await patched.json()).toMatchObject({
        email: "rita@acme.example",
        role: "admin",
        status: "active",
      });
      expect((await consoleFetch(s, cookie, "POST", path, { name: "rita" })).status).toBe(201);
      expect(await (await consoleFetch(s, cookie, "GET", "/me")).json()).toMatchObject({ role: "admin" });
    });

    it("keeps an owner: the last one can be neither removed nor demoted from the console", async () => {
      const t = await startTestServer(dialect);
      try {
        const only = await userCookie(t, "solo@acme.example", "owner");
        const users = await (
          await consoleFetch(t, only, "GET", `/organizations/${t.organizationId}/users`)
        ).json();
        const solo = users[0].id;
        const demote = await consoleFetch(
          t,
          only,
          "PATCH",
          `/organizations/${t.organizationId}/users/${solo}`,
          {
            role: "admin",
          },
        );
        expect(demote.status).toBe(409);
        expect((await demote.json()).message).toMatch(/last owner/);
        expect(
          (await consoleFetch(t, only, "DELETE", `/organizations/${t.organizationId}/users/${solo}`)).status,
        ).toBe(409);
        expect(await (await consoleFetch(t, only, "GET", "/me")).json()).toMatchObject({ role: "owner" });
      } finally {
        await t.close();
      }
    });

    it("scopes a user to their organization: other organizations' projects do not exist for them", async () => {
      const org2 = await s.ctx.tenancy.createOrganization("Other Co");
      const theirs = await s.ctx.tenancy.createProject({
        name: "Theirs",
        organizationId: org2.organization_id,
      });
      const projects = (await (await consoleFetch(s, admin, "GET", "/projects")).json()) as {
        project_id: string;
      }[];
      expect(projects.map((p) => p.project_id)).toContain(s.projectId);
      expect(projects.map((p) => p.project_id)).not.toContain(theirs.project_id);
      for (const path of [
        `/projects/${theirs.project_id}/overview`,
        `/projects/${theirs.project_id}/accounts`,
        `/organizations/${org2.organization_id}/users`,
      ])
        expect((await consoleFetch(s, owner, "GET", path)).status, path).toBe(404);
      expect(
        (await consoleFetch(s, admin, "POST", `/projects/${theirs.project_id}/api-keys`, { name: "x" }))
          .status,
      ).toBe(404);
      // Their own owner sees them, and not ours; a break-glass link sees every organization.
      const theirOwner = await userCookie(s, "olivia@acme.example", "owner", org2.organization_id);
      const seen = (await (await consoleFetch(s, theirOwner, "GET", "/projects")).json()) as {
        project_id: string;
      }[];
      expect(seen.map((p) => p.project_id)).toEqual([theirs.project_id]);
      const glass = await signIn(s);
      const all = (await (await consoleFetch(s, glass, "GET", "/projects")).json()) as {
        project_id: string;
      }[];
      expect(all.map((p) => p.project_id)).toEqual(expect.arrayContaining([s.projectId, theirs.project_id]));
    });

    it("names the user of every console action in the audit log", async () => {
      const t = await startTestServer(dialect);
      try {
        const ownerCookie = await userCookie(t, "owner@acme.example", "owner");
        const adminCookie = await userCookie(t, "admin@acme.example", "admin");
        const p = `/projects/${t.projectId}`;
        const o = `/organizations/${t.organizationId}`;
        const accountId = await linkSandboxHris(
          t,
          (await createSession(t, { origin_owner_id: "audit-1", origin_owner_name: "Audit Co" })).token,
        );
        const json = async (res: Response) => {
          if (res.status >= 300) throw new Error(`${res.status} ${await res.text()}`);
          return res.status === 204 ? null : res.json();
        };
        const as = (cookie: string, method: string, path: string, body?: unknown) =>
          consoleFetch(t, cookie, method, path, body).then(json);
        const state: Record<string, string> = {};
        // One real change per route, as the user whose email must show: owners for operators.
        const scenarios: Record<
          string,
          { who: "owner" | "admin" | "victim"; action: RegExp; run(): Promise<void> }
        > = {
          "POST /projects": {
            who: "admin",
            action: /^project\.created$/,
            run: () => as(adminCookie, "POST", "/projects", { name: "Audited" }),
          },
          "PATCH /projects/{projectId}/accounts/{id}": {
            who: "admin",
            action: /^account\.updated$/,
            run: () => as(adminCookie, "PATCH", `${p}/accounts/${accountId}`, { label: "Main" }),
          },
          "POST /projects/{projectId}/accounts/{id}/check": {
            who: "admin",
            action: /^account\.checked$/,
            run: () => as(adminCookie, "POST", `${p}/accounts/${accountId}/check`),
          },
          "PATCH /projects/{projectId}/settings": {
            who: "admin",
            action: /^project\.settings_updated$/,
            run: () => as(adminCookie, "PATCH", `${p}/settings`, { display_name: "Audited Co" }),
          },
          "PUT /projects/{projectId}/settings/logo": {
            who: "admin",
            action: /^project\.logo_updated$/,
            run: () =>
              as(adminCookie, "PUT", `${p}/settings/logo`, {
                content_base64: Buffer.from(
                  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><rect width="1" height="1"/></svg>',
                ).toString("base64"),
              }),
          },
          "DELETE /projects/{projectId}/settings/logo": {
            who: "admin",
            action: /^project\.logo_removed$/,
            run: () => as(adminCookie, "DELETE", `${p}/settings/logo`),
          },
          "POST /projects/{projectId}/accounts/{id}/reconnect-link": {
            who: "admin",
            action: /^connect_session\.created$/,
            run: () => as(adminCookie, "POST", `${p}/accounts/${accountId}/reconnect-link`, {}),
          },
          "POST /projects/{projectId}/accounts/{id}/proxy": {
            who: "admin",
            action: /^account\.proxy_called$/,
            run: async () => {
              const r = await as(adminCookie, "POST", `${p}/accounts/${accountId}/proxy`, {
                method: "GET",
                path: "/employees?per_page=1",
              });
              expect(r).toMatchObject({ status: 200 });
            },
          },
          "POST /projects/{projectId}/connect-sessions": {
            who: "admin",
            action: /^connect_session\.created$/,
            run: () =>
              as(adminCookie, "POST", `${p}/connect-sessions`, {
                origin_owner_id: "c-1",
                origin_owner_name: "C One",
              }),
          },
          "PUT /projects/{projectId}/integrations/{provider}": {
            who: "admin",
            action: /^integration\.enabled$/,
            run: () => as(adminCookie, "PUT", `${p}/integrations/bamboohr`, { active: true }),
          },
          "POST /projects/{projectId}/webhooks": {
            who: "admin",
            action: /^webhook\.created$/,
            run: async () => {
              state.hook = (
                await as(adminCookie, "POST", `${p}/webhooks`, { url: "http://127.0.0.1:9/hook" })
              ).id;
            },
          },
          "POST /projects/{projectId}/webhooks/{id}/rotate-secret": {
            who: "admin",
            action: /^webhook\.secret_rotated$/,
            run: () => as(adminCookie, "POST", `${p}/webhooks/${state.hook}/rotate-secret`),
          },
          "POST /projects/{projectId}/webhooks/{id}/disable": {
            who: "admin",
            action: /^webhook\.disabled$/,
            run: () => as(adminCookie, "POST", `${p}/webhooks/${state.hook}/disable`),
          },
          "POST /projects/{projectId}/webhooks/{id}/enable": {
            who: "admin",
            action: /^webhook\.enabled$/,
            run: () => as(adminCookie, "POST", `${p}/webhooks/${state.hook}/enable`),
          },
          "POST /projects/{projectId}/webhooks/{id}/test": {
            who: "admin",
            action: /^webhook\.test_sent$/,
            run: () => as(adminCookie, "POST", `${p}/webhooks/${state.hook}/test`),
          },
          "POST /projects/{projectId}/webhooks/replay": {
            who: "admin",
            action: /^webhook\.replayed$/,
            run: () => as(adminCookie, "POST", `${p}/webhooks/replay`, { since: new Date(0).toISOString() }),
          },
          "DELETE /projects/{projectId}/webhooks/{id}": {
            who: "admin",
            action: /^webhook\.removed$/,
            run: () => as(adminCookie, "DELETE", `${p}/webhooks/${state.hook}`),
          },
          "POST /projects/{projectId}/api-keys": {
            who: "admin",
            action: /^api_key\.created$/,
            run: async () => {
              state.key = (await as(adminCookie, "POST", `${p}/api-keys`, { name: "audited" })).id;
            },
          },
          "POST /projects/{projectId}/api-keys/{id}/revoke": {
            who: "admin",
            action: /^api_key\.revoked$/,
            run: () => as(adminCookie, "POST", `${p}/api-keys/${state.key}/revoke`),
          },
          "DELETE /projects/{projectId}/accounts/{id}": {
            who: "admin",
            action: /^account\.deleted$/,
            run: () => as(adminCookie, "DELETE", `${p}/accounts/${accountId}`),
          },
          "POST /organizations/{organizationId}/users": {
            who: "owner",
            action: /^console\.user_invited$/,
            run: async () => {
              const inv = await as(ownerCookie, "POST", `${o}/users`, {
                email: "Victor@Acme.example",
                role: "viewer",
              });
              expect(inv.user).toMatchObject({
                email: "victor@acme.example",
                role: "viewer",
                status: "invited",
              });
              state.victim = inv.user.id;
              state.victimCookie = await signInWith(t, inv.url);
            },
          },
          "PATCH /organizations/{organizationId}/users/{id}": {
            who: "owner",
            action: /^console\.user_role_changed$/,
            run: () => as(ownerCookie, "PATCH", `${o}/users/${state.victim}`, { role: "admin" }),
          },
          "DELETE /organizations/{organizationId}/sessions/{id}": {
            who: "owner",
            action: /^console\.session_ended$/,
            run: async () => {
              const sessions = await as(ownerCookie, "GET", `${o}/sessions`);
              const theirs = sessions.find((x: { email: string }) => x.email === "victor@acme.example");
              await as(ownerCookie, "DELETE", `${o}/sessions/${theirs.id}`);
              expect((await consoleFetch(t, state.victimCookie!, "GET", "/me")).status).toBe(401);
            },
          },
          "DELETE /organizations/{organizationId}/users/{id}": {
            who: "owner",
            action: /^console\.user_removed$/,
            run: () => as(ownerCookie, "DELETE", `${o}/users/${state.victim}`),
          },
          "DELETE /sessions/{id}": {
            who: "admin",
            action: /^console\.session_ended$/,
            run: async () => {
              const other = await signInWith(t, await invite(t, "admin@acme.example", "admin"));
              const mine = await as(other, "GET", "/sessions");
              expect(mine.length).toBe(2);
              const notThis = mine.find((x: { current: boolean }) => !x.current);
              await as(other, "DELETE", `/sessions/${notThis.id}`);
              expect((await consoleFetch(t, adminCookie, "GET", "/me")).status).toBe(401);
              state.adminCookie = other;
            },
          },
          "POST /sign-out": {
            who: "admin",
            action: /^console\.signed_out$/,
            run: () => as(state.adminCookie!, "POST", "/sign-out"),
          },
        };
        expect(Object.keys(scenarios).sort()).toEqual((await consoleMutations(t)).map(key).sort());
        const email = { owner: "owner@acme.example", admin: "admin@acme.example" };
        for (const [name, scenario] of Object.entries(scenarios)) {
          const before = await t.ctx.history.listAudit({}, { limit: 1000 });
          await scenario.run();
          const after = await t.ctx.history.listAudit({}, { limit: 1000 });
          const fresh = after.data.filter((e) => !before.data.some((b) => b.id === e.id));
          const entry = fresh.find((e) => scenario.action.test(e.action));
          expect(entry, `${name}: ${JSON.stringify(fresh)}`).toBeDefined();
          expect(entry!.actor, name).toMatchObject({
            type: "operator",
            name: email[scenario.who as "owner"],
          });
        }
        // The console's audit log shows the organization's own entries beside the project's.
        const log = await as(ownerCookie, "GET", `${p}/logs/audit`);
        const actions = log.data.map((e: { action: string }) => e.action);
        expect(actions).toEqual(
          expect.arrayContaining(["console.user_invited", "api_key.created", "console.signed_in"]),
        );
        const operators = log.data.filter((e: { actor: { type: string } }) => e.actor.type === "operator");
        expect(operators.length).toBeGreaterThan(15);
        for (const e of operators) expect(e.actor.name).toMatch(/^\S+$/);
      } finally {
        await t.close();
      }
    });
  });
}
