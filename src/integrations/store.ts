import type { Kysely, Selectable, Transaction } from "kysely";
import { QueryShapes } from "../db/query-shapes.js";
import type { DB, IntegrationsTable } from "../db/schema.js";

export type IntegrationRow = Selectable<IntegrationsTable>;

/** Persistence of per-project integrations. Only the integrations service calls it. */
export class IntegrationsStore {
  private readonly shapes: QueryShapes;

  constructor(private readonly db: Kysely<DB>) {
    this.shapes = new QueryShapes(db);
  }

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  list(projectId: string): Promise<IntegrationRow[]> {
    return this.shapes.rows<IntegrationRow>(
      "integrations.list",
      () => this.db.selectFrom("integrations").selectAll().where("project_id", "=", ""),
      [projectId],
    );
  }

  get(projectId: string, provider: string): Promise<IntegrationRow | undefined> {
    return this.db
      .selectFrom("integrations")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("provider", "=", provider)
      .executeTakeFirst();
  }

  /** Insert or update in one statement, so two nodes enabling at once cannot collide. */
  async upsert(
    row: IntegrationRow,
    update: Partial<IntegrationRow>,
    ex: Kysely<DB> | Transaction<DB> = this.db,
  ): Promise<void> {
    await ex
      .insertInto("integrations")
      .values(row)
      .onConflict((oc) => oc.columns(["project_id", "provider"]).doUpdateSet(update))
      .execute();
  }
}
