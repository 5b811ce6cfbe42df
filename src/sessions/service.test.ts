import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDialectContext, type DialectContext } from "../../test/helpers/context.js";
import { DIALECTS, dialectAvailable } from "../../test/helpers/dialects.js";
import type { Principal } from "../tenancy/service.js";
import { SessionsService } from "./service.js";
import { SessionsStore } from "./store.js";

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`sessions service on ${dialect}`, () => {
    let t: DialectContext;
    let a: Principal;
    let b: Principal;
    let clock = Date.now();
    let sessions: SessionsService;

    beforeAll(async () => {
      t = await createDialectContext(dialect);
      const init = (await t.ctx.tenancy.init())!;
      a = (await t.ctx.tenancy.authenticate(init.api_key))!;
      const other = await t.ctx.tenancy.createProject({ name: "B" });
      b = (await t.ctx.tenancy.authenticate((await t.ctx.tenancy.createApiKey(other.project_id)).api_key))!;
      sessions = new SessionsService(new SessionsStore(t.ctx.database.db), {
        config: { publicUrl: "https://portico.test" },
        accountProvider: async () => null,
        catalogEntry: (key) => ({ key, categories: ["hris"] }),
        now: () => clock,
      });
    });
    afterAll(() => t?.close());

    it("creates a session whose token is stored only as a digest", async () => {
      const s = await sessions.create(a, {
        origin_owner_id: "o1",
        origin_owner_name: "Acme",
        metadata: { plan: "pro" },
      });
      expect(s.token).toMatch(/^cst_[A-Za-z0-9_-]{43}$/);
      expect(s.auth_link_url).toBe(`https://portico.test/embedded/integrations?token=${s.token}`);
      expect(s.expires_in).toBe(1800);
      expect(s.type).toBe("production");
      expect(s.multiple).toBe(false);
      expect(s.external_trigger_token).toMatch(/^[0-9a-f-]{36}$/);
      const rows = await t.ctx.database.db.selectFrom("connect_sessions").selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(s.token);
      expect(JSON.stringify(rows)).not.toContain(s.token.slice(4));
    });

    it("authenticates a live token for its own project only", async () => {
      const s = await sessions.create(a, { origin_owner_id: "o2", origin_owner_name: "Acme", label: "L" });
      const back = await sessions.authenticate(a, s.token);
      expect(back).toMatchObject({ id: s.id, origin_owner_id: "o2", label: "L", project_id: a.projectId });
      expect(back).not.toHaveProperty("token");
      expect(back).not.toHaveProperty("token_hash");
      await expect(sessions.authenticate(b, s.token)).rejects.toMatchObject({
        code: "INVALID_SESSION_TOKEN",
      });
    });

    it("refuses an expired token with the same error as an unknown one", async () => {
      const s = await sessions.create(a, {
        origin_owner_id: "o3",
        origin_owner_name: "Acme",
        expires_in: 60,
      });
      clock += 61_000;
      const expired = await sessions.authenticate(a, s.token).catch((e) => e);
      const unknown = await sessions.authenticate(a, "cst_nope").catch((e) => e);
      expect(expired.code).toBe("INVALID_SESSION_TOKEN");
      expect(expired.message).toBe(unknown.message);
      expect(expired.statusCode).toBe(unknown.statusCode);
    });

    it("refuses an account_id outside the project without writing a row", async () => {
      const before = await count(t);
      await expect(
        sessions.create(a, { origin_owner_id: "o4", origin_owner_name: "Acme", account_id: "acc_missing" }),
      ).rejects.toMatchObject({ statusCode: 404 });
      expect(await count(t)).toBe(before);
    });

    it("records only the first account a session links", async () => {
      const s = await sessions.create(a, { origin_owner_id: "o5", origin_owner_name: "Acme" });
      expect(await sessions.recordLink(s.id, "acc_1")).toBe(true);
      expect(await sessions.recordLink(s.id, "acc_2")).toBe(false);
    });

    it("writes sessions created together in one insert, each with its own id, and isolates a bad one", async () => {
      const made = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          sessions.create(a, { origin_owner_id: `g-${i}`, origin_owner_name: "G" }),
        ),
      );
      expect(new Set(made.map((m) => m.id)).size).toBe(40);
      for (const m of made) expect((await sessions.authenticate(a, m.token)).id).toBe(m.id);
      expect(made.map((m) => m.origin_owner_id)).toEqual(made.map((_, i) => `g-${i}`));

      // A row the database refuses (no such project) fails alone; its neighbours are written.
      const store = new SessionsStore(t.ctx.database.db);
      const row = (owner: string, projectId = a.projectId) => ({
        organization_id: a.organizationId,
        project_id: projectId,
        token_hash: `hash-${owner}-${Math.random()}`,
        origin_owner_id: owner,
        origin_owner_name: "N",
        origin_username: null,
        categories: null,
        provider: null,
        account_id: null,
        label: null,
        metadata: null,
        type: "production",
        multiple: 0,
        integration_id: null,
        external_trigger_token: "x",
        linked_account_id: null,
        success_url: null,
        error_url: null,
        expires_in: 60,
        expires_at: clock + 60_000,
        created_at: clock,
      });
      const results = await Promise.allSettled([
        store.insert(row("ok-1")),
        store.insert(row("bad", "proj_missing")),
        store.insert(row("ok-2")),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    });

    it("reuses a resolved session for a second, still refuses it once expired, and forgets it on a link", async () => {
      const s = await sessions.create(a, {
        origin_owner_id: "o6",
        origin_owner_name: "Acme",
        expires_in: 60,
      });
      const first = await sessions.resolve(s.token);
      // A change behind the service's back is not seen while the entry lives...
      await t.ctx.database.db
        .updateTable("connect_sessions")
        .set({ label: "changed" })
        .where("id", "=", s.id)
        .execute();
      expect((await sessions.resolve(s.token))?.label).toBe(first?.label ?? null);
      // ...and is once it is gone.
      clock += 1_001;
      expect((await sessions.resolve(s.token))?.label).toBe("changed");
      // A link made through this node is seen at once.
      expect(await sessions.recordLink(s.id, "acc_9")).toBe(true);
      expect((await sessions.resolve(s.token))?.linked_account_id).toBe("acc_9");
      // Expiry is checked on every call, cached or not.
      clock += 59_000;
      expect(await sessions.resolve(s.token)).toBeNull();
    });
  });
}

async function count(t: DialectContext): Promise<number> {
  const r = await t.ctx.database.db
    .selectFrom("connect_sessions")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
