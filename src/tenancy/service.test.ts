import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDialectContext, type DialectContext } from "../../test/helpers/context.js";
import { DIALECTS, dialectAvailable } from "../../test/helpers/dialects.js";

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`tenancy on ${dialect}`, () => {
    let t: DialectContext;
    beforeAll(async () => {
      t = await createDialectContext(dialect);
    });
    afterAll(() => t?.close());

    it("initializes an empty database once", async () => {
      expect(await t.ctx.tenancy.isEmpty()).toBe(true);
      const init = await t.ctx.tenancy.init();
      expect(init).not.toBeNull();
      expect(typeof init!.organization_id).toBe("number");
      expect(init!.project_id).toMatch(/^proj_/);
      expect(init!.api_key).toMatch(/^sk_[A-Za-z0-9_-]{43}$/);
      expect(await t.ctx.tenancy.init()).toBeNull();
      expect(await t.ctx.tenancy.isEmpty()).toBe(false);
    });

    it("stores only the SHA-256 of a key and authenticates by it", async () => {
      const project = await t.ctx.tenancy.createProject({ name: "Other" });
      const key = await t.ctx.tenancy.createApiKey(project.project_id, "ci");
      const rows = await t.ctx.database.db.selectFrom("api_keys").selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(key.api_key);
      const principal = await t.ctx.tenancy.authenticate(key.api_key);
      expect(principal).toMatchObject({
        projectId: project.project_id,
        organizationId: project.organization_id,
        keyId: key.id,
      });
      expect(await t.ctx.tenancy.authenticate(`${key.api_key}x`)).toBeNull();
      expect(await t.ctx.tenancy.authenticate("sk_unknown")).toBeNull();
    });

    it("stops accepting a revoked key at once", async () => {
      const [project] = await t.ctx.tenancy.listProjects();
      const key = await t.ctx.tenancy.createApiKey(project!.project_id);
      expect(await t.ctx.tenancy.authenticate(key.api_key)).not.toBeNull();
      const revoked = await t.ctx.tenancy.revokeApiKey(key.id);
      expect(revoked.revoked_at).not.toBeNull();
      expect(await t.ctx.tenancy.authenticate(key.api_key)).toBeNull();
      const listed = await t.ctx.tenancy.listApiKeys(project!.project_id);
      expect(listed.find((k) => k.id === key.id)?.revoked_at).toBe(revoked.revoked_at);
      expect(JSON.stringify(listed)).not.toContain(key.api_key);
    });

    it("refuses a key for a missing project and a project in a missing organization", async () => {
      await expect(t.ctx.tenancy.createApiKey("proj_missing")).rejects.toThrow(
        /project proj_missing not found/,
      );
      await expect(t.ctx.tenancy.createProject({ organizationId: 999 })).rejects.toThrow(
        /organization 999 not found/,
      );
    });
  });
}
