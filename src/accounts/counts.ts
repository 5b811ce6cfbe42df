import { type Kysely, sql } from "kysely";
import type { Dialect } from "../db/database.js";
import type { DB } from "../db/schema.js";

export type AccountCounts = {
  total: number;
  by_status: { status: string; count: number }[];
  by_provider: { provider: string; count: number }[];
};

/**
 * A project's accounts by status and by provider, from the counts migration 016's triggers keep:
 * the folded counts plus the changes since the last fold, a few rows whatever the number of
 * accounts (counting the accounts themselves took 0.1 s a million for each list).
 */
export class AccountCountsStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly dialect: Dialect,
    /** Changes folded in one SQLite transaction. */
    private readonly batch = 20_000,
  ) {}

  async counts(projectId: string): Promise<AccountCounts> {
    const { rows } = await sql<{ provider: string; status: string; n: number }>`
      select provider, status, sum(n) as n from (
        select provider, status, n from account_counts where project_id = ${projectId}
        union all
        select provider, status, delta as n from account_count_changes where project_id = ${projectId}
      ) c group by provider, status`.execute(this.db);
    const byStatus = new Map<string, number>();
    const byProvider = new Map<string, number>();
    for (const r of rows) {
      const n = Number(r.n);
      if (!n) continue;
      byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + n);
      byProvider.set(r.provider, (byProvider.get(r.provider) ?? 0) + n);
    }
    const sorted = <K extends string>(m: Map<string, number>, key: K) =>
      [...m]
        .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
        .map(([name, count]) => ({ [key]: name, count }) as { [P in K]: string } & { count: number });
    const by_status = sorted(byStatus, "status");
    return {
      total: by_status.reduce((sum, s) => sum + s.count, 0),
      by_status,
      by_provider: sorted(byProvider, "provider"),
    };
  }

  /**
   * Folds the recorded changes into the counts (the jobs worker, every minute): exactly the rows
   * it deletes are added, so changes committed meanwhile wait for the next fold, and two nodes
   * folding at once never count a change twice.
   */
  async fold(): Promise<number> {
    if (this.dialect === "postgres") {
      const { rows } = await sql<{ n: number }>`
        with gone as (delete from account_count_changes returning project_id, provider, status, delta),
        folded as (
          insert into account_counts (project_id, provider, status, n)
          select project_id, provider, status, sum(delta) from gone group by project_id, provider, status
          on conflict (project_id, provider, status) do update set n = account_counts.n + excluded.n
          returning 1)
        select count(*) as n from gone`.execute(this.db);
      return Number(rows[0]?.n ?? 0);
    }
    // SQLite: one writer at a time, so what the transaction reads is what it deletes. Its
    // statements run on the event loop, so a backlog (a bulk import, a node that was down) is
    // folded a batch at a time with the loop free in between: folded whole, 10,000,000 changes
    // held every request for seconds at a time.
    let folded = 0;
    for (;;) {
      const n = await this.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ id: number | null; n: number }>`
          select max(id) as id, count(*) as n from
            (select id from account_count_changes order by id limit ${this.batch})`.execute(trx);
        const last = rows[0]?.id;
        if (last === null || last === undefined) return 0;
        await sql`insert into account_counts (project_id, provider, status, n)
          select project_id, provider, status, sum(delta) from account_count_changes where id <= ${last}
          group by project_id, provider, status
          on conflict (project_id, provider, status) do update set n = account_counts.n + excluded.n`.execute(
          trx,
        );
        await sql`delete from account_count_changes where id <= ${last}`.execute(trx);
        return Number(rows[0]!.n);
      });
      folded += n;
      if (n < this.batch) return folded;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
