import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDialectContext, type DialectContext } from "../../test/helpers/context.js";
import { WIRE_COLUMNS } from "./store.js";

/**
 * The accounts list by owner is answered from one index (migration 009): a column added to the
 * wire shape but not to that index would send every page back to 25 reads across the table.
 */
describe("accounts list by owner on sqlite", () => {
  let t: DialectContext;
  beforeAll(async () => {
    t = await createDialectContext("sqlite");
  });
  afterAll(() => t?.close());

  it("reads a page from the covering owner index alone", async () => {
    const plan = await sql<{ detail: string }>`explain query plan select ${sql.join(
      WIRE_COLUMNS.map((c) => sql.ref(c)),
    )} from accounts where project_id = ${"p"} and origin_owner_id = ${"o"} order by created_at, id limit 25`.execute(
      t.ctx.database.db,
    );
    expect(plan.rows.map((r) => r.detail)).toEqual([
      "SEARCH accounts USING COVERING INDEX accounts_project_owner (project_id=? AND origin_owner_id=?)",
    ]);
  });
});
