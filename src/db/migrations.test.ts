import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  DIALECTS,
  dialectAvailable,
  type TestDatabase,
} from "../../test/helpers/dialects.js";
import { portico } from "../../test/helpers/processes.js";
import { type Database, openDatabase } from "./database.js";
import { migrate, migrationsFor } from "./migrations.js";

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`migrations on ${dialect}`, () => {
    let test: TestDatabase | undefined;
    const open: Database[] = [];
    const fresh = async () => {
      test = await createTestDatabase(dialect);
      return test.url;
    };
    const connect = (url: string) => {
      const d = openDatabase(url, { poolSize: 2 });
      open.push(d);
      return d;
    };
    afterEach(async () => {
      for (const d of open.splice(0)) await d.close();
      await test?.drop();
      test = undefined;
    });

    it("applies every migration once, in order, and nothing on the next start", async () => {
      const db = connect(await fresh());
      const names = Object.keys(migrationsFor(dialect)).sort();
      expect(await migrate(db.db, dialect)).toEqual(names);
      expect(await migrate(db.db, dialect)).toEqual([]);
      const rows = await db.db
        .selectFrom("portico_migrations" as never)
        .selectAll()
        .execute();
      expect(rows.map((r) => (r as { name: string }).name).sort()).toEqual(names);
    });

    it("applies each migration exactly once when several nodes start at once", async () => {
      // Separate processes, as nodes are: better-sqlite3 waits for a lock synchronously, so two
      // connections of one process would wait on each other.
      const url = await fresh();
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-migrate-"));
      try {
        const env = { PORTICO_DATABASE_URL: url, PORTICO_DATA_DIR: dataDir };
        const runs = await Promise.all([1, 2, 3].map(() => portico(["migrate", "--json"], env)));
        for (const r of runs) expect(r.code, r.stderr).toBe(0);
        const applied = runs.flatMap((r) => JSON.parse(r.stdout).applied as string[]);
        expect(applied.sort()).toEqual(Object.keys(migrationsFor(dialect)).sort());
        await sql`select count(*) from webhook_attempts`.execute(connect(url).db);
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });

    it("refuses to run against a database migrated by a newer Portico", async () => {
      const db = connect(await fresh());
      await migrate(db.db, dialect);
      await sql`insert into portico_migrations (name, timestamp) values ('999_future', 'now')`.execute(db.db);
      await expect(migrate(db.db, dialect)).rejects.toThrow(/newer Portico.*999_future/);
    });

    it("rolls back a failing migration entirely", async () => {
      const db = connect(await fresh());
      // A stray table named like one of the last migration's: 001 to 003 apply, then 004 fails.
      await sql`create table webhook_endpoints (id integer)`.execute(db.db);
      await expect(migrate(db.db, dialect)).rejects.toThrow();
      const tables =
        dialect === "sqlite"
          ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db.db)
          : await sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
              db.db,
            );
      expect(tables.rows.map((r) => r.name).sort()).toEqual(["webhook_endpoints"]);
    });
  });
}
