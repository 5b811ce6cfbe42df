import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../src/crypto/tokens.js";
import { consoleFetch, invite, signIn, signInWith, userCookie } from "../helpers/console.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { portico } from "../helpers/processes.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const postSignIn = (s: TestServer, url: string) =>
  fetch(`${s.url}/console/sign-in`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", origin: s.config.publicUrl },
    body: new URLSearchParams({ token: new URL(url).searchParams.get("token")! }),
  });

/** Console users: invitations, removal, sessions per user, on both dialects. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`console users on ${dialect}`, () => {
    let s: TestServer;
    let owner: string;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      owner = await userCookie(s, "owner@acme.example", "owner");
    });
    afterAll(() => s?.close());
    const org = () => `/organizations/${s.organizationId}`;

    it("invites with a one-time link that signs its user in on the same page and form as a sign-in link, once", async () => {
      const res = await consoleFetch(s, owner, "POST", `${org()}/users`, {
        email: "  Ada@Acme.Example ",
        role: "admin",
      });
      expect(res.status).toBe(201);
      const invitation = await res.json();
      expect(invitation.user).toMatchObject({ email: "ada@acme.example", role: "admin", status: "invited" });
      expect(invitation.url).toMatch(new RegExp(`^${s.config.publicUrl}/console/sign-in\\?token=pcl_`));
      expect(Date.parse(invitation.expires_at) - Date.now()).toBeGreaterThan(6 * 86_400_000);
      const stored = await s.ctx.database.db.selectFrom("console_links").selectAll().execute();
      expect(JSON.stringify(stored)).not.toContain(new URL(invitation.url).searchParams.get("token"));

      const page = await (await fetch(invitation.url)).text();
      expect(page).toContain('<form method="post" action="/console/sign-in">');
      expect(page).toContain("<strong>ada@acme.example</strong>");

      const first = await postSignIn(s, invitation.url);
      expect(first.status).toBe(303);
      const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
      expect(await (await consoleFetch(s, cookie, "GET", "/me")).json()).toMatchObject({
        email: "ada@acme.example",
        role: "admin",
      });
      const again = await postSignIn(s, invitation.url);
      expect(again.status).toBe(401);
      expect(await again.text()).toContain("already used or has expired");
      const users = await (await consoleFetch(s, owner, "GET", `${org()}/users`)).json();
      expect(users.find((u: { email: string }) => u.email === "ada@acme.example")).toMatchObject({
        status: "active",
        role: "admin",
        created_by: "owner@acme.example",
      });
    });

    it("refuses a bad email or role, an expired invitation, and one replaced by a new invitation", async () => {
      for (const body of [
        { email: "not-an-email", role: "admin" },
        { email: "x@acme.example", role: "superuser" },
        { email: "x@acme.example" },
      ]) {
        const res = await consoleFetch(s, owner, "POST", `${org()}/users`, body);
        expect(res.status).toBe(400);
        expect((await res.json()).message).toMatch(/^(email|role): /);
      }
      const expired = await invite(s, "late@acme.example", "viewer");
      await s.ctx.database.db
        .updateTable("console_links")
        .set({ expires_at: Date.now() - 1 })
        .where("token_hash", "=", sha256(new URL(expired).searchParams.get("token")!))
        .execute();
      expect((await postSignIn(s, expired)).status).toBe(401);
      const older = await invite(s, "twice@acme.example", "viewer");
      const newer = await invite(s, "twice@acme.example", "admin");
      expect((await postSignIn(s, older)).status).toBe(401);
      const cookie = await signInWith(s, newer);
      expect(await (await consoleFetch(s, cookie, "GET", "/me")).json()).toMatchObject({ role: "admin" });
    });

    it("ends a removed user's sessions at once, in every browser, and voids their invitation", async () => {
      const a = await userCookie(s, "gone@acme.example", "admin");
      const b = await signInWith(s, await invite(s, "gone@acme.example", "admin"));
      const pending = await invite(s, "gone@acme.example", "admin");
      for (const c of [a, b]) expect((await consoleFetch(s, c, "GET", "/me")).status).toBe(200);
      const users = await (await consoleFetch(s, owner, "GET", `${org()}/users`)).json();
      const gone = users.find((u: { email: string }) => u.email === "gone@acme.example");
      const removed = await consoleFetch(s, owner, "DELETE", `${org()}/users/${gone.id}`);
      expect(removed.status).toBe(200);
      expect(await removed.json()).toMatchObject({ email: "gone@acme.example", sessions_ended: 2 });
      for (const c of [a, b]) {
        const res = await consoleFetch(s, c, "GET", "/me");
        expect(res.status).toBe(401);
        expect(
          (await fetch(`${s.url}/console/`, { headers: { cookie: c }, redirect: "manual" })).status,
        ).toBe(302);
      }
      expect((await postSignIn(s, pending)).status).toBe(401);
      const left = await (await consoleFetch(s, owner, "GET", `${org()}/users`)).json();
      expect(left.map((u: { email: string }) => u.email)).not.toContain("gone@acme.example");
      // Invited again, they come back.
      const back = await userCookie(s, "gone@acme.example", "viewer");
      expect(await (await consoleFetch(s, back, "GET", "/me")).json()).toMatchObject({ role: "viewer" });
    });

    it("also stops a session whose user row is removed behind its back (another node's removal)", async () => {
      const c = await userCookie(s, "node@acme.example", "viewer");
      await s.ctx.database.db
        .updateTable("console_users")
        .set({ status: "removed" })
        .where("email", "=", "node@acme.example")
        .execute();
      expect((await consoleFetch(s, c, "GET", "/me")).status).toBe(401);
    });

    it("shows users their own sessions, lets them end them, and lets only owners end others'", async () => {
      const ua = { "user-agent": "Mozilla/5.0 (X11; Linux) Portico test" };
      const first = await userCookie(s, "sam@acme.example", "viewer");
      const second = await signInWith(s, await invite(s, "sam@acme.example", "viewer"));
      const other = await userCookie(s, "tom@acme.example", "viewer");
      const mine = await (await consoleFetch(s, second, "GET", "/sessions", undefined, ua)).json();
      expect(mine).toHaveLength(2);
      expect(mine.filter((x: { current: boolean }) => x.current)).toHaveLength(1);
      expect(mine.every((x: { email: string }) => x.email === "sam@acme.example")).toBe(true);
      expect(mine[0]).toMatchObject({ role: "viewer", method: "invitation" });
      const tomsId = (await (await consoleFetch(s, other, "GET", "/sessions")).json())[0].id;
      // Another user's session is not theirs to end (not found, as if it did not exist).
      expect((await consoleFetch(s, first, "DELETE", `/sessions/${tomsId}`)).status).toBe(404);
      expect((await consoleFetch(s, other, "GET", "/me")).status).toBe(200);
      const firstId = mine.find((x: { current: boolean }) => !x.current).id;
      expect((await consoleFetch(s, second, "DELETE", `/sessions/${firstId}`)).status).toBe(200);
      expect((await consoleFetch(s, first, "GET", "/me")).status).toBe(401);
      // Ending the current one signs out.
      const currentId = mine.find((x: { current: boolean }) => x.current).id;
      const self = await consoleFetch(s, second, "DELETE", `/sessions/${currentId}`);
      expect(self.headers.get("set-cookie")).toMatch(/Max-Age=0/);
      expect((await consoleFetch(s, second, "GET", "/me")).status).toBe(401);
      // An owner sees every user's sessions and ends one.
      const all = await (await consoleFetch(s, owner, "GET", `${org()}/sessions`)).json();
      expect(all.map((x: { email: string }) => x.email)).toEqual(
        expect.arrayContaining(["tom@acme.example", "owner@acme.example"]),
      );
      expect((await consoleFetch(s, owner, "DELETE", `${org()}/sessions/${tomsId}`)).status).toBe(200);
      expect((await consoleFetch(s, other, "GET", "/me")).status).toBe(401);
    });

    it("ends a user's session after the idle and absolute limits, as before", async () => {
      const idle = await userCookie(s, "idle@acme.example", "viewer");
      await s.ctx.database.db
        .updateTable("console_sessions")
        .set({ last_seen_at: Date.now() - 61 * 60_000 })
        .where("token_hash", "=", sha256(idle.split("=")[1]!))
        .execute();
      expect((await consoleFetch(s, idle, "GET", "/me")).status).toBe(401);
      const old = await userCookie(s, "old@acme.example", "viewer");
      await s.ctx.database.db
        .updateTable("console_sessions")
        .set({ expires_at: Date.now() - 1 })
        .where("token_hash", "=", sha256(old.split("=")[1]!))
        .execute();
      expect((await consoleFetch(s, old, "GET", "/me")).status).toBe(401);
    });

    it("keeps a break-glass link working for the shell, as an owner", async () => {
      const glass = await signIn(s);
      const me = await (await consoleFetch(s, glass, "GET", "/me")).json();
      expect(me).toMatchObject({ email: null, role: "owner", operator: "tester", method: "link" });
      const res = await consoleFetch(s, glass, "POST", `${org()}/users`, {
        email: "new@acme.example",
        role: "viewer",
      });
      expect(res.status).toBe(201);
      const audit = await s.ctx.history.listAudit({ organizationId: s.organizationId }, { limit: 5 });
      expect(audit.data[0]).toMatchObject({ action: "console.user_invited", actor: { name: "tester" } });
      // It acts in every organization, so every organization's owners see it and may end it.
      const all = await (await consoleFetch(s, owner, "GET", `${org()}/sessions`)).json();
      const mine = (await (await consoleFetch(s, glass, "GET", "/sessions")).json())[0];
      expect(all.map((x: { id: string }) => x.id)).toContain(mine.id);
      expect((await consoleFetch(s, owner, "DELETE", `${org()}/sessions/${mine.id}`)).status).toBe(200);
      expect((await consoleFetch(s, glass, "GET", "/me")).status).toBe(401);
      expect((await consoleFetch(s, await signIn(s), "GET", "/organizations/999/users")).status).toBe(404);
    });
  });
}

describe("console users from the command line", () => {
  it("invites (--json gives the url), lists and removes, ending the user's sessions", async () => {
    const s = await startTestServer("sqlite");
    try {
      const env = {
        PORTICO_DATABASE_URL: s.config.databaseUrl,
        PORTICO_DATA_DIR: s.config.dataDir,
        PORTICO_PUBLIC_URL: s.config.publicUrl,
      };
      const invited = await portico(
        ["console", "users", "invite", "Cli@Acme.example", "--role", "admin", "--json"],
        env,
      );
      expect(invited.code, invited.stderr).toBe(0);
      const out = JSON.parse(invited.stdout);
      expect(out.url).toMatch(new RegExp(`^${s.config.publicUrl}/console/sign-in\\?token=pcl_`));
      expect(out.user).toMatchObject({
        email: "cli@acme.example",
        role: "admin",
        organization_id: s.organizationId,
      });
      const cookie = await signInWith(s, out.url);
      expect(await (await consoleFetch(s, cookie, "GET", "/me")).json()).toMatchObject({ role: "admin" });

      const bad = await portico(["console", "users", "invite", "x@acme.example", "--role", "root"], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--role must be one of viewer, admin, owner/);

      const list = await portico(["console", "users", "list", "--json"], env);
      expect(JSON.parse(list.stdout)).toEqual([
        expect.objectContaining({ email: "cli@acme.example", role: "admin", status: "active" }),
      ]);
      const human = await portico(["console", "users", "list"], env);
      expect(human.stdout).toMatch(/cli@acme\.example\s+admin\s+active/);

      const removed = await portico(["console", "users", "remove", "cli@acme.example"], env);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toMatch(/Removed cli@acme\.example \(organization \d+\); 1 session ended\./);
      expect((await consoleFetch(s, cookie, "GET", "/me")).status).toBe(401);
      const missing = await portico(["console", "users", "remove", "cli@acme.example"], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/is not a console user here/);
    } finally {
      await s.close();
    }
  });
});
