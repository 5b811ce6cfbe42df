import type { Insertable, Kysely, Selectable, Transaction } from "kysely";
import type { ApiKeysTable, DB, ProjectsTable } from "../db/schema.js";

type Executor = Kysely<DB> | Transaction<DB>;

/** Persistence of organizations, projects and API keys. Only the tenancy service calls it. */
export class TenancyStore {
  constructor(private readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async countOrganizations(ex: Executor = this.db): Promise<number> {
    const row = await ex
      .selectFrom("organizations")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insertOrganization(ex: Executor, name: string, now: number): Promise<number> {
    const row = await ex
      .insertInto("organizations")
      .values({ name, created_at: now })
      .returning("id")
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  async organizationExists(id: number): Promise<boolean> {
    return !!(await this.db.selectFrom("organizations").select("id").where("id", "=", id).executeTakeFirst());
  }

  async firstOrganizationId(): Promise<number | undefined> {
    const row = await this.db
      .selectFrom("organizations")
      .select("id")
      .orderBy("id")
      .limit(1)
      .executeTakeFirst();
    return row ? Number(row.id) : undefined;
  }

  async insertProject(ex: Executor, row: Insertable<ProjectsTable>): Promise<void> {
    await ex.insertInto("projects").values(row).execute();
  }

  getProject(id: string): Promise<Selectable<ProjectsTable> | undefined> {
    return this.db.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirst();
  }

  listProjects(): Promise<Selectable<ProjectsTable>[]> {
    return this.db.selectFrom("projects").selectAll().orderBy("created_at").orderBy("id").execute();
  }

  async insertApiKey(ex: Executor, row: ApiKeysTable): Promise<void> {
    await ex.insertInto("api_keys").values(row).execute();
  }

  listApiKeys(projectId?: string): Promise<ApiKeysTable[]> {
    let q = this.db.selectFrom("api_keys").selectAll();
    if (projectId) q = q.where("project_id", "=", projectId);
    return q.orderBy("created_at").orderBy("id").execute();
  }

  getApiKey(id: string): Promise<ApiKeysTable | undefined> {
    return this.db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async revokeApiKey(id: string, now: number, ex: Executor = this.db): Promise<boolean> {
    const res = await ex
      .updateTable("api_keys")
      .set({ revoked_at: now })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** The live key with this digest, with the organization of its project. */
  findLiveKey(keyHash: string) {
    return this.db
      .selectFrom("api_keys")
      .innerJoin("projects", "projects.id", "api_keys.project_id")
      .select([
        "api_keys.id",
        "api_keys.project_id",
        "api_keys.prefix",
        "projects.organization_id",
        "api_keys.wire_profile as key_wire_profile",
        "projects.wire_profile as project_wire_profile",
        "projects.rate_limit_per_minute",
        "api_keys.scopes",
        "api_keys.expires_at",
      ])
      .where("api_keys.key_hash", "=", keyHash)
      .where("api_keys.revoked_at", "is", null)
      .executeTakeFirst();
  }

  async updateProject(
    id: string,
    set: Partial<Pick<Selectable<ProjectsTable>, "wire_profile" | "rate_limit_per_minute">>,
    ex: Executor = this.db,
  ): Promise<boolean> {
    const res = await ex.updateTable("projects").set(set).where("id", "=", id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async updateApiKey(
    id: string,
    set: Partial<Pick<ApiKeysTable, "wire_profile">>,
    ex: Executor = this.db,
  ): Promise<boolean> {
    const res = await ex.updateTable("api_keys").set(set).where("id", "=", id).executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    await this.db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id).execute();
  }
}
