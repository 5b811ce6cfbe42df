import { type Migration, sql } from "kysely";
import type { Dialect } from "../database.js";
import type { AnyDb } from "./support.js";

/**
 * Accounts by project, provider and status, kept as the accounts change, for the console's
 * overview (issue 22): counting them took 0.1 s a million accounts for each of its two lists, 2 s
 * at 10 million. And the accounts linked per day, which the overview counted from the events.
 *
 * Triggers on `accounts` record every change as a row of `account_count_changes` (+1, -1), in the
 * transaction of the change, so whatever writes accounts (a link, a delete, a status change, a
 * bulk import) is counted exactly, and no two transactions ever wait on one counter row. The jobs
 * worker folds the changes into `account_counts` (accounts/counts.ts); a count is the folded
 * count plus the changes not folded yet.
 */
export function accountCounts(dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable("account_counts")
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("provider", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("n", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("account_counts_pk", ["project_id", "provider", "status"])
        .execute();
      await db.schema
        .createTable("account_count_changes")
        .addColumn(
          "id",
          sql`${sql.raw(dialect === "sqlite" ? "integer primary key" : "bigint generated always as identity primary key")}`,
        )
        .addColumn("project_id", "text", (c) => c.notNull())
        .addColumn("provider", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("delta", "integer", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("account_count_changes_project")
        .on("account_count_changes")
        .column("project_id")
        .execute();

      const changed =
        "old.project_id is not new.project_id or old.provider is not new.provider or old.status is not new.status";
      if (dialect === "sqlite") {
        const row = (who: "new" | "old", delta: number) =>
          `insert into account_count_changes (project_id, provider, status, delta) values (${who}.project_id, ${who}.provider, ${who}.status, ${delta});`;
        await sql
          .raw(`create trigger accounts_counted_insert after insert on accounts begin ${row("new", 1)} end`)
          .execute(db);
        await sql
          .raw(`create trigger accounts_counted_delete after delete on accounts begin ${row("old", -1)} end`)
          .execute(db);
        await sql
          .raw(
            `create trigger accounts_counted_update after update of project_id, provider, status on accounts
             when ${changed} begin ${row("old", -1)} ${row("new", 1)} end`,
          )
          .execute(db);
      } else {
        await sql`create function accounts_counted() returns trigger language plpgsql as $$
          begin
            if tg_op <> 'INSERT' then
              insert into account_count_changes (project_id, provider, status, delta)
              values (old.project_id, old.provider, old.status, -1);
            end if;
            if tg_op <> 'DELETE' then
              insert into account_count_changes (project_id, provider, status, delta)
              values (new.project_id, new.provider, new.status, 1);
            end if;
            return null;
          end $$`.execute(db);
        await sql`create trigger accounts_counted_insert after insert on accounts
          for each row execute function accounts_counted()`.execute(db);
        await sql`create trigger accounts_counted_delete after delete on accounts
          for each row execute function accounts_counted()`.execute(db);
        await sql
          .raw(
            `create trigger accounts_counted_update after update of project_id, provider, status on accounts
             for each row when (${changed.replaceAll(" is not ", " is distinct from ")}) execute function accounts_counted()`,
          )
          .execute(db);
      }
      // The accounts there already.
      await sql`insert into account_counts (project_id, provider, status, n)
        select project_id, provider, status, count(*) from accounts group by project_id, provider, status`.execute(
        db,
      );
      // Accounts linked per day, the overview's chart, counted from now on as each link commits
      // (history/service.ts): until now counted from the events, 0.3 s at 750,000 links a month.
      await sql`insert into history_daily (project_id, metric, day, count)
        select project_id, 'accounts_linked', created_at / 86400000, count(*) from account_events
        where type = 'linked' group by project_id, created_at / 86400000`.execute(db);
    },
  };
}
