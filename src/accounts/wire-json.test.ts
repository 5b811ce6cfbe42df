import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDialectContext, type DialectContext } from "../../test/helpers/context.js";
import type { WireRow } from "./store.js";
import { linkedAccountJson } from "./wire-json.js";

/** The hand-written serializer must write exactly the document `toWire` builds. */
describe("linkedAccountJson", () => {
  let t: DialectContext;
  beforeAll(async () => {
    t = await createDialectContext("sqlite");
  });
  afterAll(() => t?.close());

  const base: WireRow = {
    id: "acc_1",
    provider: "sandbox-hris",
    origin_owner_id: "o-1",
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
  const variants: WireRow[] = [
    base,
    {
      ...base,
      id: 'acc_"quoted"\\slash',
      provider: "not-in-catalog",
      origin_owner_name: "Zoë \u2028 <script>",
      origin_username: "ann@example.com",
      label: "Label\nwith newline",
      metadata: JSON.stringify({ plan: "pro", nested: { a: [1, 2, null] }, emoji: "🎉" }),
      type: "test",
      status: "error",
      status_reasons: JSON.stringify([
        { code: "refresh_failed", description: "x", timestamp: "2026-01-01T00:00:00.000Z" },
      ]),
      setup_information: JSON.stringify({ subdomain: "acme" }),
      shared: 1,
    },
    { ...base, type: "unexpected", shared: 0, created_at: "1764000000000" as never },
  ];

  it("writes the same document as toWire for every shape of row", () => {
    for (const row of variants) {
      const name = t.ctx.catalog.get(row.provider)?.name ?? null;
      const text = linkedAccountJson(row, name);
      expect(JSON.parse(text)).toEqual(t.ctx.accounts.toWire(row));
      expect(text).toBe(JSON.stringify(t.ctx.accounts.toWire(row)));
    }
  });
});
