import type { Kysely, Transaction } from "kysely";
import type { DB, ProjectLogosTable } from "../db/schema.js";

export type SettingsRow = {
  id: string;
  name: string;
  display_name: string | null;
  accent_color: string | null;
  support_url: string | null;
  success_url: string | null;
  error_url: string | null;
  allowed_origins: string | null;
};
export type SettingsColumns = Partial<Omit<SettingsRow, "id" | "name">>;
type Executor = Kysely<DB> | Transaction<DB>;

/** Persistence of a project's hosted-page settings and its logo. */
export class SettingsStore {
  constructor(private readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  get(projectId: string): Promise<SettingsRow | undefined> {
    return this.db
      .selectFrom("projects")
      .select([
        "id",
        "name",
        "display_name",
        "accent_color",
        "support_url",
        "success_url",
        "error_url",
        "allowed_origins",
      ])
      .where("id", "=", projectId)
      .executeTakeFirst();
  }

  async update(ex: Executor, projectId: string, set: SettingsColumns): Promise<void> {
    await ex.updateTable("projects").set(set).where("id", "=", projectId).execute();
  }

  /** The logo's digest and type, without its bytes. */
  logoMeta(projectId: string) {
    return this.db
      .selectFrom("project_logos")
      .select(["content_type", "sha256", "updated_at"])
      .where("project_id", "=", projectId)
      .executeTakeFirst();
  }

  logo(projectId: string): Promise<ProjectLogosTable | undefined> {
    return this.db
      .selectFrom("project_logos")
      .selectAll()
      .where("project_id", "=", projectId)
      .executeTakeFirst();
  }

  async putLogo(ex: Executor, row: ProjectLogosTable): Promise<void> {
    await ex.deleteFrom("project_logos").where("project_id", "=", row.project_id).execute();
    await ex.insertInto("project_logos").values(row).execute();
  }

  async deleteLogo(ex: Executor, projectId: string): Promise<boolean> {
    const res = await ex.deleteFrom("project_logos").where("project_id", "=", projectId).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
