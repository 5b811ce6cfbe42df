import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../../test/helpers/dialects.js";
import { createSession, hubFetch, linkSandboxHris, SANDBOX_HRIS_KEY } from "../../test/helpers/hub.js";
import { startTestServer, type TestServer } from "../../test/helpers/test-server.js";
import { AccountsStore } from "./store.js";

/** The linking rules of docs/concepts.md, on both dialects, through the hub API the web component calls. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`linking rules on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(() => s?.close());

    const accountsOf = (owner: string) => s.ctx.accounts.list(s.projectId, { origin_owner_id: owner });

    it("verifies credentials before writing anything", async () => {
      const session = await createSession(s, { origin_owner_id: "rules-1", origin_owner_name: "One" });
      const res = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: { integration_id: "sandbox-hris", credentials: { api_key: "wrong" } },
      });
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.message).toMatch(/Sandbox HRIS refused these credentials/);
      expect(typeof body.provider_response).toBe("string");
      expect(body.provider_response).toContain("The API key is not valid");
      expect(await accountsOf("rules-1")).toHaveLength(0);
    });

    it("applies the session's label, metadata, type and owner fields", async () => {
      const session = await createSession(s, {
        origin_owner_id: "rules-2",
        origin_owner_name: "Two",
        origin_username: "ann",
        label: "HR system",
        metadata: { plan: "pro" },
        type: "test",
      });
      const id = await linkSandboxHris(s, session.token);
      const [account] = await accountsOf("rules-2");
      expect(account).toMatchObject({
        id,
        provider: "sandbox-hris",
        status: "active",
        origin_owner_name: "Two",
        origin_username: "ann",
        label: "HR system",
        metadata: { plan: "pro" },
        type: "test",
      });
    });

    it("re-connects the same owner and provider in place, and creates when multiple", async () => {
      const first = await linkSandboxHris(
        s,
        (await createSession(s, { origin_owner_id: "rules-3", origin_owner_name: "Three" })).token,
      );
      const again = await linkSandboxHris(
        s,
        (
          await createSession(s, {
            origin_owner_id: "rules-3",
            origin_owner_name: "Three Renamed",
            label: "new",
          })
        ).token,
      );
      expect(again).toBe(first);
      const [account] = await accountsOf("rules-3");
      expect(account).toMatchObject({ id: first, origin_owner_name: "Three Renamed", label: "new" });

      const multi = await createSession(s, {
        origin_owner_id: "rules-3",
        origin_owner_name: "Three",
        multiple: true,
      });
      const second = await linkSandboxHris(s, multi.token);
      const third = await linkSandboxHris(s, multi.token);
      expect(new Set([first, second, third]).size).toBe(3);
      expect(await accountsOf("rules-3")).toHaveLength(3);
    });

    it("links one owner and provider from concurrent sessions into one account", async () => {
      const sessions = await Promise.all(
        Array.from({ length: 8 }, () =>
          createSession(s, { origin_owner_id: "rules-race", origin_owner_name: "Race" }),
        ),
      );
      const ids = await Promise.all(sessions.map((x) => linkSandboxHris(s, x.token)));
      expect(new Set(ids).size).toBe(1);
      expect(await accountsOf("rules-race")).toHaveLength(1);
      // Events follow what happened: the first link created it, the others re-connected it.
      const events = await s.ctx.database.db
        .selectFrom("webhook_events")
        .select(["type", "payload"])
        .orderBy("created_at")
        .orderBy("id")
        .execute();
      const mine = events.filter((e) => JSON.parse(e.payload).account_id === ids[0]).map((e) => e.type);
      expect(mine).toEqual(["account.created", ...Array(7).fill("account.updated")]);
      // `multiple` still creates, however many at once.
      const multi = await Promise.all(
        Array.from({ length: 3 }, () =>
          createSession(s, { origin_owner_id: "rules-race", origin_owner_name: "Race", multiple: true }),
        ),
      );
      const created = await Promise.all(multi.map((x) => linkSandboxHris(s, x.token)));
      expect(new Set([...created, ids[0]]).size).toBe(4);
    });

    it("lets a session that linked an account only edit that account", async () => {
      const session = await createSession(s, { origin_owner_id: "rules-4", origin_owner_name: "Four" });
      const id = await linkSandboxHris(s, session.token);
      expect(await linkSandboxHris(s, session.token)).toBe(id);
      const other = await createSession(s, { origin_owner_id: "rules-4b", origin_owner_name: "Other" });
      const otherId = await linkSandboxHris(s, other.token);
      const res = await hubFetch(s, session.token, `/accounts/${otherId}`, {
        method: "PATCH",
        body: { integration_id: "sandbox-hris", credentials: { api_key: SANDBOX_HRIS_KEY } },
      });
      expect(res.status).toBe(403);
      expect((await hubFetch(s, session.token, `/accounts/${otherId}`)).status).toBe(403);
      const settings = await (await hubFetch(s, session.token, "/settings")).json();
      expect(settings.existing_account_id).toBe(id);
    });

    it("lets a session open the account it linked even from a copy read before the link", async () => {
      // What another node's one-second session cache can hold: the row as it was before linking.
      const session = await createSession(s, { origin_owner_id: "rules-9", origin_owner_name: "Nine" });
      const before = (await s.ctx.sessions.resolve(session.token))!;
      const id = await linkSandboxHris(s, session.token);
      expect(before.linked_account_id).toBeNull();
      expect(await s.ctx.accounts.sessionMayEdit(before, id)).toBe(true);
      const other = await createSession(s, { origin_owner_id: "rules-9b", origin_owner_name: "Other" });
      const otherId = await linkSandboxHris(s, other.token);
      expect(await s.ctx.accounts.sessionMayEdit(before, otherId)).toBe(false);
    });

    it("with account_id edits exactly that account, keeping secrets the user did not retype", async () => {
      const owner = await createSession(s, { origin_owner_id: "rules-5", origin_owner_name: "Five" });
      const id = await linkSandboxHris(s, owner.token);
      const before = (await accountsOf("rules-5"))[0]!;
      const edit = await createSession(s, {
        origin_owner_id: "rules-5",
        origin_owner_name: "Five",
        account_id: id,
        label: "edited",
      });
      expect((await (await hubFetch(s, edit.token, "/settings")).json()).existing_account_id).toBe(id);
      const view = await (await hubFetch(s, edit.token, `/accounts/${id}`)).json();
      expect(view).toEqual({
        provider: "sandbox-hris",
        integrationId: "sandbox-hris",
        setupInformation: {},
        secrets: { api_key: "__secretvalue:**redacted**" },
      });
      await new Promise((r) => setTimeout(r, 5));
      const res = await hubFetch(s, edit.token, `/accounts/${id}`, {
        method: "PATCH",
        body: { integration_id: "sandbox-hris", credentials: {} },
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id, provider: "sandbox-hris" });
      const after = (await accountsOf("rules-5"))[0]!;
      expect(after.label).toBe("edited");
      expect(after.updated_at > before.updated_at).toBe(true);
      // A POST from an edit session edits too: never a second account.
      expect(await linkSandboxHris(s, edit.token)).toBe(id);
      expect(await accountsOf("rules-5")).toHaveLength(1);
    });

    it("keeps an account with its owner when an edit session names another one", async () => {
      const owner = await createSession(s, { origin_owner_id: "rules-10", origin_owner_name: "Ten" });
      const id = await linkSandboxHris(s, owner.token);
      const edit = await createSession(s, {
        origin_owner_id: "someone-else",
        origin_owner_name: "Other Co",
        origin_username: "intruder",
        account_id: id,
        label: "re-authenticated",
      });
      const res = await hubFetch(s, edit.token, `/accounts/${id}`, {
        method: "PATCH",
        body: { integration_id: "sandbox-hris", credentials: {} },
      });
      expect(res.status).toBe(200);
      const [after] = await accountsOf("rules-10");
      expect(after).toMatchObject({
        id,
        origin_owner_id: "rules-10",
        origin_owner_name: "Ten",
        origin_username: null,
        label: "re-authenticated",
      });
      expect(await accountsOf("someone-else")).toEqual([]);
    });

    it("refuses an edit whose new credentials the provider rejects, and keeps the old ones", async () => {
      const owner = await createSession(s, { origin_owner_id: "rules-6", origin_owner_name: "Six" });
      const id = await linkSandboxHris(s, owner.token);
      const res = await hubFetch(s, owner.token, `/accounts/${id}`, {
        method: "PATCH",
        body: { integration_id: "sandbox-hris", credentials: { api_key: "rotated-but-wrong" } },
      });
      expect(res.status).toBe(400);
      const row = await s.ctx.database.db
        .selectFrom("accounts")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(s.ctx.accounts.readValues(row).secrets).toEqual({ api_key: SANDBOX_HRIS_KEY });
    });

    it("refuses a write prepared from a stale copy of the credentials", async () => {
      const id = await linkSandboxHris(
        s,
        (await createSession(s, { origin_owner_id: "rules-8", origin_owner_name: "Eight" })).token,
      );
      const db = s.ctx.database.db;
      const stale = await db
        .selectFrom("accounts")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      // Meanwhile a token refresh (or another edit) commits a newer version.
      await db
        .updateTable("accounts")
        .set({ credentials_version: stale.credentials_version + 1 })
        .where("id", "=", id)
        .execute();
      const store = new AccountsStore(db, dialect);
      const written = await store.transaction((trx) =>
        store.update(trx, s.projectId, id, stale.credentials_version, { label: "stale" }),
      );
      expect(written).toBe(false);
      const fresh = await store.transaction((trx) =>
        store.update(trx, s.projectId, id, stale.credentials_version + 1, { label: "fresh" }),
      );
      expect(fresh).toBe(true);
      expect((await s.ctx.accounts.get(s.projectId, id)).label).toBe("fresh");
    });

    it("stores credentials encrypted and bound to the row", async () => {
      const id = await linkSandboxHris(
        s,
        (await createSession(s, { origin_owner_id: "rules-7", origin_owner_name: "Seven" })).token,
      );
      const row = await s.ctx.database.db
        .selectFrom("accounts")
        .selectAll()
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(row.credentials).toMatch(/^v1\./);
      expect(row.credentials).not.toContain(SANDBOX_HRIS_KEY);
      expect(() => s.ctx.accounts.readValues({ ...row, id: "acc_other" })).toThrow(/failed authentication/);
    });
  });
}
