import type { Kysely } from "kysely";
import type { DB } from "../db/schema.js";

/** Persistence of linked accounts. Every read is scoped to a project. */
export class AccountsStore {
  constructor(private readonly db: Kysely<DB>) {}

  async exists(projectId: string, id: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("accounts")
      .select("id")
      .where("project_id", "=", projectId)
      .where("id", "=", id)
      .executeTakeFirst();
    return !!row;
  }
}
