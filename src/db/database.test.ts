import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  DIALECTS,
  dialectAvailable,
  type TestDatabase,
} from "../../test/helpers/dialects.js";
import { type Database, openDatabase } from "./database.js";

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`database on ${dialect}`, () => {
    let test: TestDatabase;
    let a: Database;
    let b: Database;
    beforeAll(async () => {
      test = await createTestDatabase(dialect);
      a = openDatabase(test.url, { poolSize: 1 });
      b = openDatabase(test.url, { poolSize: 1 });
      await sql`create table things (id integer primary key, name text, "group" text)`.execute(a.db);
      await sql`insert into things (id, name, "group") values (1, 'one', 'x'), (2, 'two', 'x')`.execute(a.db);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await test?.drop();
    });

    const byGroup = (d: Database, group: string) =>
      d.db
        .selectFrom("things" as never)
        .selectAll()
        .where("group" as never, "=", group as never)
        .orderBy("id" as never)
        .execute() as Promise<Record<string, unknown>[]>;

    it("returns rows as plain objects with every column, the same on every run of a statement", async () => {
      const first = await byGroup(a, "x");
      expect(first).toEqual([
        { id: 1, name: "one", group: "x" },
        { id: 2, name: "two", group: "x" },
      ]);
      expect(await byGroup(a, "x")).toEqual(first);
      expect(await byGroup(a, "none")).toEqual([]);
      // A later column of the same name wins, as a driver's row object does.
      const dup = await sql<{ id: number }>`select id, name as id from things where id = ${1}`.execute(a.db);
      expect(dup.rows).toEqual([{ id: "one" }]);
    });

    it("keeps answering when another node changes a table under a prepared statement", async () => {
      expect((await byGroup(a, "x")).map((r) => Object.keys(r).length)).toEqual([3, 3]);
      await sql`alter table things add column extra text`.execute(b.db);
      const after = await byGroup(a, "x");
      expect(after[0]).toEqual({ id: 1, name: "one", group: "x", extra: null });
      // And inside a transaction the next statement after a failure is prepared anew too.
      await sql`alter table things add column more text`.execute(b.db);
      await a.db
        .transaction()
        .execute((trx) => byGroup(trx as never, "x"))
        .catch(() => {});
      expect((await byGroup(a, "x"))[0]).toHaveProperty("more", null);
    });
  });
}
