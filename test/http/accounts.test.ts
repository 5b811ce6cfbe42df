import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** What the SDK cannot carry: comma lists, metadata contents, PATCH's "{} means no change". */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`accounts over HTTP on ${dialect}`, () => {
    let s: TestServer;
    const ids: string[] = [];
    beforeAll(async () => {
      s = await startTestServer(dialect);
      for (const owner of ["c-1", "c-2", "c-3"]) {
        const session = await createSession(s, {
          origin_owner_id: owner,
          origin_owner_name: owner,
          metadata: { tier: owner },
          type: "test",
        });
        ids.push(await linkSandboxHris(s, session.token));
      }
    });
    afterAll(() => s?.close());

    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${s.url}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: basic(s.apiKey),
          ...(init.body ? { "content-type": "application/json" } : {}),
        },
        body: init.body ? JSON.stringify(init.body) : undefined,
      });

    it("filters by comma-separated and repeated values alike", async () => {
      const comma = await (await api("/accounts?origin_owner_ids=c-1,c-3")).json();
      const repeated = await (await api("/accounts?origin_owner_ids=c-1&origin_owner_ids=c-3")).json();
      expect(comma.map((a: { id: string }) => a.id)).toEqual([ids[0], ids[2]]);
      expect(repeated).toEqual(comma);
      expect(await (await api(`/accounts?account_ids=${ids[1]},nope`)).json()).toHaveLength(1);
      expect(await (await api("/accounts?status=error")).json()).toEqual([]);
      expect(await (await api("/accounts?provider=sandbox-ats")).json()).toEqual([]);
      // A NUL in a filter is the caller's mistake: PostgreSQL refuses it, and that is a 400, not a 500.
      const nul = await api("/accounts?origin_owner_id=a%00b");
      expect(nul.status).toBe(dialect === "postgres" ? 400 : 200);
      // A missing customer id sent as an empty value matches no one, never everyone.
      expect(await (await api("/accounts?origin_owner_id=")).json()).toEqual([]);
      expect(await (await api("/accounts")).json()).toHaveLength(3);
    });

    it("pages 1-based in a stable order and bounds page_size", async () => {
      const p1 = await (await api("/accounts?page_size=2")).json();
      const p2 = await (await api("/accounts?page_size=2&page=2")).json();
      expect([...p1, ...p2].map((a: { id: string }) => a.id)).toEqual(ids);
      for (const q of ["page_size=0", "page_size=1001", "page=0", "page=x"]) {
        const res = await api(`/accounts?${q}`);
        expect(res.status, q).toBe(400);
        expect((await res.json()).message).toMatch(/^query\.page|^page/);
      }
    });

    it("returns metadata and never credentials", async () => {
      const account = await (await api(`/accounts/${ids[0]}`)).json();
      expect(account.metadata).toEqual({ tier: "c-1" });
      expect(account).not.toHaveProperty("credentials");
      expect(account.type).toBe("test");
    });

    it("treats {} as no change, keeps a test account test, and replaces metadata given with content", async () => {
      const before = await (await api(`/accounts/${ids[0]}`)).json();
      const same = await (
        await api(`/accounts/${ids[0]}`, {
          method: "PATCH",
          body: { credentials: {}, label: {}, metadata: {}, type: "production" },
        })
      ).json();
      expect(same).toEqual(before);
      const changed = await (
        await api(`/accounts/${ids[0]}`, {
          method: "PATCH",
          body: { metadata: { tier: "gold" }, label: "Main" },
        })
      ).json();
      expect(changed).toMatchObject({ metadata: { tier: "gold" }, label: "Main", type: "test" });
    });

    it("re-verifies new credentials given through PATCH", async () => {
      const bad = await api(`/accounts/${ids[1]}`, {
        method: "PATCH",
        body: { credentials: { api_key: "wrong" } },
      });
      expect(bad.status).toBe(400);
      expect((await bad.json()).message).toMatch(/refused these credentials/);
      const unknown = await api(`/accounts/${ids[1]}`, {
        method: "PATCH",
        body: { credentials: { token: "x" } },
      });
      expect((await unknown.json()).message).toMatch(/credentials\.token: not a field of Sandbox HRIS/);
      // Each message names the part the key was sent in, and a number is not a key.
      const parts = await api(`/accounts/${ids[1]}`, {
        method: "PATCH",
        body: { setup_information: { subdomain: "x" }, secrets: { api_key: 5 } },
      });
      expect(parts.status).toBe(400);
      expect((await parts.json()).message).toBe(
        "setup_information.subdomain: not a field of Sandbox HRIS; secrets.api_key: must be a string",
      );
      const ok = await api(`/accounts/${ids[1]}`, {
        method: "PATCH",
        body: { credentials: { api_key: "sandbox-demo-key" } },
      });
      expect(ok.status).toBe(200);
    });

    it("deletes with 200 and the account, and the row with its credentials is gone", async () => {
      const res = await api(`/accounts/${ids[2]}`, { method: "DELETE" });
      expect(res.status).toBe(200);
      expect((await res.json()).id).toBe(ids[2]);
      const row = await s.ctx.database.db
        .selectFrom("accounts")
        .select("credentials")
        .where("id", "=", ids[2]!)
        .executeTakeFirst();
      expect(row).toBeUndefined();
      expect((await api(`/accounts/${ids[2]}`, { method: "DELETE" })).status).toBe(404);
    });
  });
}
