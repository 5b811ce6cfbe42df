import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../src/crypto/tokens.js";
import { consoleFetch, consoleLink, signIn } from "../helpers/console.js";
import { createTestDatabase, DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { portico, spawnServe } from "../helpers/processes.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const form = (token: string) => new URLSearchParams({ token });

/** Console sign-in, sessions and the console API's refusals, over HTTP, on both dialects. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`console sign-in on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(() => s?.close());

    const postSignIn = (token: string, origin: string | null = s.config.publicUrl) =>
      fetch(`${s.url}/console/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          ...(origin ? { origin } : {}),
        },
        body: form(token),
      });

    it("sends a browser from / to the console, and an unsigned one on to the sign-in page", async () => {
      const root = await fetch(`${s.url}/`, { redirect: "manual" });
      expect(root.status).toBe(302);
      expect(root.headers.get("location")).toBe("/console/");
      const console = await fetch(`${s.url}/console/`, { redirect: "manual" });
      expect(console.status).toBe(302);
      expect(console.headers.get("location")).toBe("/console/sign-in");
      const page = await fetch(`${s.url}/console/sign-in`);
      expect(await page.text()).toContain("console link");
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    });

    it("signs in once with a link: an HttpOnly, SameSite=Strict cookie whose token is stored hashed", async () => {
      const url = await consoleLink(s, "ada");
      expect(url).toMatch(
        new RegExp(`^${s.config.publicUrl}/console/sign-in\\?token=pcl_[A-Za-z0-9_-]{43}$`),
      );
      const token = new URL(url).searchParams.get("token")!;
      const landing = await fetch(url);
      expect(await landing.text()).toContain('<form method="post" action="/console/sign-in">');

      const res = await postSignIn(token);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/console/");
      const setCookie = res.headers.get("set-cookie")!;
      expect(setCookie).toMatch(
        /^portico_console=pcs_[A-Za-z0-9_-]{43}; Path=\/console; Max-Age=86400; HttpOnly; SameSite=Strict$/,
      );
      const cookie = setCookie.split(";")[0]!;
      const value = cookie.split("=")[1]!;
      const stored = await s.ctx.database.db.selectFrom("console_sessions").selectAll().execute();
      expect(stored.map((r) => r.token_hash)).toContain(sha256(value));
      expect(JSON.stringify(stored)).not.toContain(value);
      const links = await s.ctx.database.db.selectFrom("console_links").selectAll().execute();
      expect(JSON.stringify(links)).not.toContain(token);

      const me = await consoleFetch(s, cookie, "GET", "/me");
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ operator: "ada" });
      expect((await fetch(`${s.url}/console/`, { headers: { cookie } })).status).toBe(200);

      const again = await postSignIn(token);
      expect(again.status).toBe(401);
      expect(again.headers.get("set-cookie")).toBeNull();
      expect(await again.text()).toContain("already used or has expired");
    });

    it("refuses an expired link, a forged one, and a sign-in posted from another origin", async () => {
      const expired = new URL(await consoleLink(s)).searchParams.get("token")!;
      await s.ctx.database.db
        .updateTable("console_links")
        .set({ expires_at: Date.now() - 1 })
        .where("token_hash", "=", sha256(expired))
        .execute();
      expect((await postSignIn(expired)).status).toBe(401);
      expect((await postSignIn("pcl_forged")).status).toBe(401);
      const token = new URL(await consoleLink(s)).searchParams.get("token")!;
      expect((await postSignIn(token, "https://evil.example")).status).toBe(403);
      expect((await postSignIn(token, null)).status).toBe(403);
      // Refused before use: the link still works from the right origin.
      expect((await postSignIn(token)).status).toBe(303);
    });

    it("refuses console API calls without a cookie, with a forged or expired one, and after sign-out", async () => {
      const none = await fetch(`${s.url}/console/api/projects`);
      expect(none.status).toBe(401);
      expect((await none.json()).message).toMatch(/sign in first/);
      expect((await consoleFetch(s, "portico_console=pcs_forged", "GET", "/projects")).status).toBe(401);

      const idle = await signIn(s);
      await s.ctx.database.db
        .updateTable("console_sessions")
        .set({ last_seen_at: Date.now() - 61 * 60_000 })
        .where("token_hash", "=", sha256(idle.split("=")[1]!))
        .execute();
      const idleRes = await consoleFetch(s, idle, "GET", "/projects");
      expect(idleRes.status).toBe(401);
      expect(idleRes.headers.get("set-cookie")).toMatch(/^portico_console=; Path=\/console; Max-Age=0/);

      const old = await signIn(s);
      await s.ctx.database.db
        .updateTable("console_sessions")
        .set({ expires_at: Date.now() - 1 })
        .where("token_hash", "=", sha256(old.split("=")[1]!))
        .execute();
      expect((await consoleFetch(s, old, "GET", "/projects")).status).toBe(401);

      const cookie = await signIn(s);
      expect((await consoleFetch(s, cookie, "GET", "/projects")).status).toBe(200);
      const out = await consoleFetch(s, cookie, "POST", "/sign-out");
      expect(out.status).toBe(204);
      expect(out.headers.get("set-cookie")).toMatch(/Max-Age=0/);
      expect((await consoleFetch(s, cookie, "GET", "/projects")).status).toBe(401);
    });

    it("refuses cross-origin changes and reads, and changes nothing", async () => {
      const cookie = await signIn(s);
      const path = `/projects/${s.projectId}/api-keys`;
      const before = (await s.ctx.tenancy.listApiKeys(s.projectId)).length;
      for (const headers of [{ origin: "https://evil.example" }, { origin: "null" }]) {
        const res = await consoleFetch(s, cookie, "POST", path, { name: "stolen" }, headers);
        expect(res.status).toBe(403);
        expect((await res.json()).message).toMatch(/^origin: /);
      }
      const noOrigin = await fetch(`${s.url}/console/api${path}`, {
        method: "POST",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ name: "stolen" }),
      });
      expect(noOrigin.status).toBe(403);
      expect((await s.ctx.tenancy.listApiKeys(s.projectId)).length).toBe(before);
      expect(
        (await consoleFetch(s, cookie, "GET", path, undefined, { origin: "https://evil.example" })).status,
      ).toBe(403);
      expect(
        (await consoleFetch(s, cookie, "GET", path, undefined, { "sec-fetch-site": "cross-site" })).status,
      ).toBe(403);
      expect(
        (await consoleFetch(s, cookie, "GET", path, undefined, { "sec-fetch-site": "same-origin" })).status,
      ).toBe(200);
      expect((await consoleFetch(s, cookie, "POST", path, { name: "mine" })).status).toBe(201);
    });

    it("documents the console API in the OpenAPI document as Portico's own, behind the cookie", async () => {
      const doc = await (await fetch(`${s.url}/openapi.json`)).json();
      const paths = Object.keys(doc.paths).filter((p) => p.startsWith("/console/api/"));
      expect(paths).toEqual(
        expect.arrayContaining(["/console/api/projects/{projectId}/accounts", "/console/api/me"]),
      );
      for (const p of paths)
        for (const op of Object.values(doc.paths[p]) as { tags: string[]; security: unknown }[]) {
          expect(op.tags).toEqual(["Console (Portico)"]);
          expect(op.security).toEqual([{ console: [] }]);
        }
      expect(doc.components.securitySchemes.console).toMatchObject({
        type: "apiKey",
        in: "cookie",
        name: "portico_console",
      });
      expect(doc.paths["/requests/logs"].get.operationId).toBe("stackone_list_logs");
    });
  });
}

describe("console settings", () => {
  it("a first start prints a one-time console link that signs in", async () => {
    const db = await createTestDatabase("sqlite");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-first-"));
    const server = await spawnServe({ PORTICO_DATABASE_URL: db.url, PORTICO_DATA_DIR: dataDir });
    try {
      const link = /sign in to the console with this one-time link \(until [^)]+\):\n {2}(\S+)/.exec(
        server.output(),
      )?.[1];
      expect(link).toMatch(/\/console\/sign-in\?token=pcl_/);
      const publicUrl = new URL(link!).origin;
      const res = await fetch(`${server.url}/console/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: publicUrl },
        body: form(new URL(link!).searchParams.get("token")!),
      });
      expect(res.status).toBe(303);
    } finally {
      await server.stop();
      await db.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("marks the cookie Secure when the public URL is https", async () => {
    const s = await startTestServer("sqlite", { PORTICO_PUBLIC_URL: "https://portico.example" });
    try {
      const token = new URL(await consoleLink(s)).searchParams.get("token")!;
      const res = await fetch(`${s.url}/console/sign-in`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://portico.example" },
        body: form(token),
      });
      expect(res.status).toBe(303);
      expect(res.headers.get("set-cookie")).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    } finally {
      await s.close();
    }
  });

  it("PORTICO_CONSOLE=false turns the console off, its sign-in command too", async () => {
    const s = await startTestServer("sqlite", { PORTICO_CONSOLE: "false" });
    try {
      for (const path of ["/", "/console/", "/console/sign-in", "/console/api/me"])
        expect((await fetch(`${s.url}${path}`, { redirect: "manual" })).status).toBe(404);
      const cli = await portico(["console", "link", "--json"], {
        PORTICO_DATABASE_URL: s.config.databaseUrl,
        PORTICO_DATA_DIR: s.config.dataDir,
        PORTICO_CONSOLE: "false",
      });
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/the console is turned off \(PORTICO_CONSOLE=false\)/);
      const on = await portico(["console", "link", "--json", "--name", "grace"], {
        PORTICO_DATABASE_URL: s.config.databaseUrl,
        PORTICO_DATA_DIR: s.config.dataDir,
        PORTICO_PUBLIC_URL: "http://localhost:4000",
      });
      expect(on.code, on.stderr).toBe(0);
      const link = JSON.parse(on.stdout);
      expect(link.url).toMatch(/^http:\/\/localhost:4000\/console\/sign-in\?token=pcl_/);
      expect(link.operator).toBe("grace");
      expect(Date.parse(link.expires_at) - Date.now()).toBeGreaterThan(14 * 60_000);
    } finally {
      await s.close();
    }
  });
});
