import zlib from "node:zlib";
import Fastify from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { declareRole } from "../../src/console/guard.js";
import { consoleHealthRoutes } from "../../src/console/health-routes.js";
import { consoleSettingsRoutes } from "../../src/console/settings-routes.js";
import { jsonSerializerCompiler, zodValidatorCompiler } from "../../src/http/validation.js";
import { consoleFetch, signIn } from "../helpers/console.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The console API of issue 21: an account's health (last check, result, next check) and a check
 * run from the console; the hosted page's brand and redirects, with the logo upload; scoped keys.
 * Every route declares whether it reads or writes, for role rules.
 */
/** A real 2x2 PNG with a text chunk, built here: the sanitiser must keep the image and drop the text. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlib.crc32(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(2, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    Buffer.from("89504e470d0a1a0a", "hex"),
    chunk("IHDR", ihdr),
    chunk("tEXt", Buffer.from("Comment\0secret-ish metadata")),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
const PNG = png();

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`console: health, hosted page, keys on ${dialect}`, () => {
    let s: TestServer;
    let cookie: string;
    let accountId: string;

    beforeAll(async () => {
      s = await startTestServer(dialect);
      cookie = await signIn(s);
      const session = await createSession(s, { origin_owner_id: "c-health", origin_owner_name: "Health Co" });
      accountId = await linkSandboxHris(s, session.token);
    });
    afterAll(async () => {
      await s?.close();
    });

    it("shows an account's health and runs a check from the account page", async () => {
      const base = `/projects/${s.projectId}/accounts/${accountId}`;
      const before = (await (await consoleFetch(s, cookie, "GET", `${base}/health`)).json()) as Record<
        string,
        unknown
      >;
      expect(before).toMatchObject({
        account_id: accountId,
        checkable: true,
        last_checked_at: null,
        status: "active",
      });
      expect(before.next_check_at).toEqual(expect.any(String));
      const res = await consoleFetch(s, cookie, "POST", `${base}/check`);
      expect(res.status).toBe(200);
      const after = (await res.json()) as Record<string, unknown>;
      expect(after).toMatchObject({ result: "ok", detail: "HTTP 200", status: "active" });
      expect(after.last_checked_at).toEqual(expect.any(String));
      // A change from another origin is refused, as for every console change.
      const foreign = await consoleFetch(s, cookie, "POST", `${base}/check`, undefined, {
        origin: "https://evil.test",
      });
      expect(foreign.status).toBe(403);
    });

    it("sets the brand and redirects, uploads and removes a logo, and audits each change", async () => {
      const base = `/projects/${s.projectId}/settings`;
      const bad = await consoleFetch(s, cookie, "PATCH", base, { accent_color: "green" });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/^accent_color:/);
      const refused = await consoleFetch(s, cookie, "PATCH", base, {
        success_url: "https://app.example.com/done",
      });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { message: string }).message).toMatch(
        /^success_url: .*allowed origins/,
      );
      const ok = await consoleFetch(s, cookie, "PATCH", base, {
        display_name: "Acme",
        accent_color: "#112233",
        support_url: "https://help.example.com",
        allowed_origins: ["https://app.example.com/anything"],
        success_url: "https://app.example.com/done",
        error_url: "https://app.example.com/failed",
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({
        display_name: "Acme",
        accent_color: "#112233",
        allowed_origins: ["https://app.example.com"],
        success_url: "https://app.example.com/done",
        logo_url: null,
      });
      const up = await consoleFetch(s, cookie, "PUT", `${base}/logo`, {
        content_base64: PNG.toString("base64"),
      });
      expect(up.status).toBe(200);
      const logoUrl = ((await up.json()) as { logo_url: string }).logo_url;
      const logo = await fetch(logoUrl);
      expect(logo.headers.get("content-type")).toBe("image/png");
      expect(
        Buffer.from(await logo.arrayBuffer())
          .subarray(0, 8)
          .toString("hex"),
      ).toBe("89504e470d0a1a0a");
      const notImage = await consoleFetch(s, cookie, "PUT", `${base}/logo`, {
        content_base64: Buffer.from("<html><script>x</script></html>").toString("base64"),
      });
      expect(notImage.status).toBe(400);
      expect(((await notImage.json()) as { message: string }).message).toMatch(
        /^logo: must be an SVG or a PNG/,
      );
      expect((await consoleFetch(s, cookie, "DELETE", `${base}/logo`)).status).toBe(200);
      expect((await fetch(logoUrl)).status).toBe(404);
      const audit = await s.ctx.history.listAudit({ projectId: s.projectId });
      const actions = audit.data.map((a) => a.action);
      expect(actions).toEqual(
        expect.arrayContaining(["project.settings_updated", "project.logo_updated", "project.logo_removed"]),
      );
      expect(audit.data.find((a) => a.action === "project.logo_updated")?.actor.type).toBe("operator");

      // An expired link of the project, with no error URL to go to, shows the project's brand.
      await consoleFetch(s, cookie, "PATCH", base, { error_url: null });
      const session = await createSession(s, { origin_owner_id: "late", origin_owner_name: "Late" });
      await s.ctx.database.db
        .updateTable("connect_sessions")
        .set({ expires_at: Date.now() - 1 })
        .where("id", "=", session.id)
        .execute();
      const page = await fetch(session.auth_link_url, { redirect: "manual" });
      expect(page.status).toBe(404);
      const html = await page.text();
      expect(html).toContain('<span class="brand-name">Acme</span>');
      expect(html).toContain("This link is invalid or has expired");
      expect(html).toContain('href="https://help.example.com"');
    });

    it("creates scoped, expiring keys and lists their scope and expiry", async () => {
      const base = `/projects/${s.projectId}/api-keys`;
      const res = await consoleFetch(s, cookie, "POST", base, {
        name: "links",
        scopes: ["connect"],
        expires_in: 86_400,
      });
      expect(res.status).toBe(201);
      const key = (await res.json()) as { scopes: string; expires_at: string; api_key: string };
      expect(key.scopes).toBe("connect");
      expect(Date.parse(key.expires_at) - Date.now()).toBeGreaterThan(86_000_000);
      const list = (await (await consoleFetch(s, cookie, "GET", base)).json()) as {
        name: string;
        scopes: string;
      }[];
      expect(list.find((k) => k.name === "links")?.scopes).toBe("connect");
    });

    it("declares the role each console route of issue 21 needs (a viewer may look, not check or change)", async () => {
      const seen: string[] = [];
      const app = Fastify().withTypeProvider<ZodTypeProvider>();
      app.setValidatorCompiler(zodValidatorCompiler);
      app.setSerializerCompiler(jsonSerializerCompiler);
      app.addHook("onRoute", declareRole);
      app.addHook("onRoute", (r) => {
        if (r.method !== "HEAD") seen.push(`${r.method} ${r.url} ${r.config?.consoleRole}`);
      });
      await app.register(consoleHealthRoutes, { health: s.ctx.health, tenancy: s.ctx.tenancy });
      await app.register(consoleSettingsRoutes, { settings: s.ctx.projectSettings });
      await app.ready();
      await app.close();
      expect(seen.sort()).toEqual([
        "DELETE /projects/:projectId/settings/logo admin",
        "GET /projects/:projectId/accounts/:id/health viewer",
        "GET /projects/:projectId/settings viewer",
        "PATCH /projects/:projectId/settings admin",
        "POST /projects/:projectId/accounts/:id/check admin",
        "PUT /projects/:projectId/settings/logo admin",
      ]);
    });
  });
}
