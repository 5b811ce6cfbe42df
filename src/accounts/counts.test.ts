import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDialectContext, type DialectContext } from "../../test/helpers/context.js";
import { DIALECTS, dialectAvailable } from "../../test/helpers/dialects.js";
import { AccountCountsStore } from "./counts.js";

/** The overview's account counts: exact through inserts, status changes and deletes, folded or not. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`account counts on ${dialect}`, () => {
    let t: DialectContext;
    let projectId: string;
    let otherId: string;
    beforeAll(async () => {
      t = await createDialectContext(dialect);
      projectId = (await t.ctx.tenancy.init())!.project_id;
      otherId = (await t.ctx.tenancy.createProject({ name: "Other" })).project_id;
    });
    afterAll(() => t?.close());

    const insert = (id: string, project: string, provider: string, status = "active") =>
      sql`insert into accounts (id, project_id, provider, origin_owner_id, origin_owner_name, type, status, created_at, updated_at)
          values (${id}, ${project}, ${provider}, 'o', 'O', 'production', ${status}, 1, 1)`.execute(
        t.ctx.database.db,
      );
    const counts = (project = projectId) => t.ctx.accountsBrowser.counts(project);
    /** What counting every account says. */
    const truth = async (project = projectId) => {
      const { rows } = await sql<{ provider: string; status: string; n: number }>`
        select provider, status, count(*) as n from accounts where project_id = ${project} group by provider, status`.execute(
        t.ctx.database.db,
      );
      const total = rows.reduce((s, r) => s + Number(r.n), 0);
      return total;
    };

    it("counts every change, before and after the changes are folded", async () => {
      for (let i = 0; i < 5; i++) await insert(`acc_a${i}`, projectId, "hubspot");
      for (let i = 0; i < 3; i++) await insert(`acc_b${i}`, projectId, "xero", "error");
      await insert("acc_c0", otherId, "hubspot");
      expect(await counts()).toEqual({
        total: 8,
        by_status: [
          { status: "active", count: 5 },
          { status: "error", count: 3 },
        ],
        by_provider: [
          { provider: "hubspot", count: 5 },
          { provider: "xero", count: 3 },
        ],
      });
      expect(await t.ctx.accountsBrowser.counter.fold()).toBeGreaterThanOrEqual(9);
      await sql`update accounts set status = 'error' where id in ('acc_a0', 'acc_a1')`.execute(
        t.ctx.database.db,
      );
      await sql`update accounts set label = 'no count change' where id = 'acc_a2'`.execute(t.ctx.database.db);
      await sql`delete from accounts where id = 'acc_b0'`.execute(t.ctx.database.db);
      const expected = {
        total: 7,
        by_status: [
          { status: "active", count: 3 },
          { status: "error", count: 4 },
        ].sort((a, b) => b.count - a.count),
        by_provider: [
          { provider: "hubspot", count: 5 },
          { provider: "xero", count: 2 },
        ],
      };
      expect(await counts()).toEqual(expected);
      expect(await truth()).toBe(7);
      // Two nodes folding at once count each change once.
      await Promise.all([t.ctx.accountsBrowser.counter.fold(), t.ctx.accountsBrowser.counter.fold()]);
      expect(await counts()).toEqual(expected);
      expect(await t.ctx.accountsBrowser.counter.fold()).toBe(0);
      expect((await counts(otherId)).total).toBe(1);
    });

    it("folds a backlog a batch at a time, every change once", async () => {
      const project = (await t.ctx.tenancy.createProject({ name: "Backlog" })).project_id;
      for (let i = 0; i < 11; i++) await insert(`acc_backlog${i}`, project, i % 2 ? "xero" : "hubspot");
      await sql`update accounts set status = 'error' where id in ('acc_backlog0', 'acc_backlog1')`.execute(
        t.ctx.database.db,
      );
      const small = new AccountCountsStore(t.ctx.database.db, dialect, 3);
      expect(await small.fold()).toBeGreaterThanOrEqual(15);
      const { rows } = await sql<{ n: number }>`select count(*) as n from account_count_changes`.execute(
        t.ctx.database.db,
      );
      expect(Number(rows[0]!.n)).toBe(0);
      expect(await counts(project)).toEqual({
        total: 11,
        by_status: [
          { status: "active", count: 9 },
          { status: "error", count: 2 },
        ],
        by_provider: [
          { provider: "hubspot", count: 6 },
          { provider: "xero", count: 5 },
        ],
      });
      expect(await truth(project)).toBe(11);
    });

    it("counts a link in the day's accounts linked with the link's transaction, not without it", async () => {
      const linkedToday = async () => (await t.ctx.history.perDay(projectId, 1))[0]!.accounts_linked;
      const before = await linkedToday();
      const event = {
        projectId,
        accountId: "acc_x",
        provider: "hubspot",
        type: "linked" as const,
        actor: { type: "system" as const, id: null, name: null },
      };
      await expect(
        t.ctx.database.db.transaction().execute(async (trx) => {
          await t.ctx.history.accountEvent(trx, event);
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      expect(await linkedToday()).toBe(before);
      await t.ctx.database.db.transaction().execute((trx) => t.ctx.history.accountEvent(trx, event, event));
      expect(await linkedToday()).toBe(before + 2);
    });
  });
}
