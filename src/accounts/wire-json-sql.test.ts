import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDialectContext, type DialectContext } from "../../test/helpers/context.js";
import { dialectAvailable } from "../../test/helpers/dialects.js";
import type { WireRow } from "./store.js";
import { linkedAccountJson } from "./wire-json.js";

/**
 * On PostgreSQL the accounts list is written by the database (wire-json-sql.ts): every byte must
 * be what linkedAccountJson writes from the same row, for any text a column may hold.
 */
describe.skipIf(!dialectAvailable("postgres"))("the accounts list written by PostgreSQL", () => {
  let t: DialectContext;
  let projectId: string;
  beforeAll(async () => {
    t = await createDialectContext("postgres");
    projectId = (await t.ctx.tenancy.init())!.project_id;
  });
  afterAll(() => t?.close());

  // Every control character, the JSON metacharacters, characters JSON.stringify leaves alone
  // (DEL, U+2028, astral), and text in several scripts.
  const awkward = `${Array.from({ length: 32 }, (_, i) => String.fromCharCode(i + 1 === 32 ? 127 : i + 1)).join("")} " \\ / \u2028\u2029 Zoë 東京 🎉 </script>`;
  const base: Omit<WireRow, "id"> = {
    provider: "sandbox-hris",
    origin_owner_id: "owner-1",
    origin_owner_name: "Acme",
    origin_username: null,
    label: null,
    metadata: null,
    type: "production",
    status: "active",
    status_reasons: null,
    setup_information: null,
    shared: null,
    created_at: 1_764_000_000_000,
    updated_at: 1_764_000_000_123,
  };
  const variants: Omit<WireRow, "id">[] = [
    base,
    {
      ...base,
      provider: "not-in-catalog",
      origin_owner_name: awkward,
      origin_username: awkward,
      label: awkward,
      metadata: JSON.stringify({ plan: "pro", text: awkward, nested: { a: [1, 2.5, null, true] } }),
      type: "test",
      status: "error",
      status_reasons: JSON.stringify([{ code: "refresh_failed", description: awkward }]),
      setup_information: JSON.stringify({ subdomain: "acme" }),
      shared: 1,
      created_at: 1_764_000_000_001,
      updated_at: 1_764_000_000_999,
    },
    { ...base, type: "unexpected", label: "", origin_username: "", shared: 0, created_at: 1_764_000_000_002 },
    { ...base, shared: 2, status: "inactive", created_at: 1_764_000_000_003 },
    // The first and last milliseconds toISOString writes with a four-digit year, and midnight.
    { ...base, created_at: 0, updated_at: 253_402_300_799_999 },
    { ...base, created_at: 1_764_028_800_000, updated_at: 1_764_115_199_999 },
  ];

  const insert = async (owner: string, rows: Omit<WireRow, "id">[]) => {
    const ids = rows.map((_, i) => `acc_sql_${owner}_${i}`);
    await t.ctx.database.db
      .insertInto("accounts")
      .values(
        rows.map((r, i) => ({
          ...r,
          id: ids[i]!,
          project_id: projectId,
          origin_owner_id: owner,
          credentials: null,
        })),
      )
      .execute();
    return ids;
  };

  /** The page as linkedAccountJson writes it from the rows read back, in the list's order. */
  const expected = async (owner: string) => {
    const rows = await t.ctx.database.db
      .selectFrom("accounts")
      .selectAll()
      .where("project_id", "=", projectId)
      .where("origin_owner_id", "=", owner)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return `[${rows.map((r) => linkedAccountJson(r, t.ctx.catalog.get(r.provider)?.name ?? null)).join(",")}]`;
  };

  it("writes every row exactly as linkedAccountJson does", async () => {
    await insert("owner-sql", variants);
    const text = await t.ctx.accounts.listJson(projectId, { origin_owner_id: "owner-sql", page_size: 100 });
    expect(text).toBe(await expected("owner-sql"));
    const parsed = JSON.parse(text) as { provider_name: string | null; label: string | null }[];
    expect(parsed).toHaveLength(variants.length);
    expect(parsed[0]!.provider_name).toBe(t.ctx.catalog.get("sandbox-hris")!.name);
    expect(parsed.find((a) => a.label === awkward)?.provider_name).toBeNull();
  });

  it("writes a page with a timestamp past year 9999 in JavaScript, the same document", async () => {
    await insert("owner-far", [base, { ...base, created_at: 253_402_300_800_000 }]);
    const text = await t.ctx.accounts.listJson(projectId, { origin_owner_id: "owner-far" });
    expect(text).toBe(await expected("owner-far"));
    expect(text).toContain('"created_at":"+010000-01-01T00:00:00.000Z"');
  });

  it("pages and filters as the rows do", async () => {
    const page = (q: object) => t.ctx.accounts.listJson(projectId, { origin_owner_id: "owner-sql", ...q });
    const all = JSON.parse(await page({ page_size: 100 })) as { id: string }[];
    const second = JSON.parse(await page({ page_size: 2, page: 2 })) as { id: string }[];
    expect(second.map((a) => a.id)).toEqual(all.slice(2, 4).map((a) => a.id));
    const errors = JSON.parse(await page({ status: ["error"] })) as { status: string }[];
    expect(errors.map((a) => a.status)).toEqual(["error"]);
    expect(await t.ctx.accounts.listJson(projectId, { origin_owner_id: "nobody" })).toBe("[]");
  });
});
