import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { HealthStore } from "../../src/accounts/health-store.js";
import { openDatabase } from "../../src/db/database.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import {
  SCRIPTED_KEY,
  SCRIPTED_USER,
  type ScriptedProvider,
  startScriptedProvider,
} from "../helpers/scripted-provider.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * Connection health (issue 21) against a provider on 127.0.0.1 that starts refusing an account's
 * API key: within one check the account goes to `error` with a reason, `account.updated` is
 * delivered to a real receiver, and an account event says so; when the provider accepts the key
 * again, a check (or a proxied call) brings it back to `active` the same way. The checks of one
 * provider are bounded across nodes, and no two nodes check one account.
 */
type Hook = { event: string; account: { id: string; status: string; status_reasons: unknown } };

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`connection health on ${dialect}`, () => {
    let s: TestServer;
    let p: ScriptedProvider;
    let r: Receiver;

    const link = async (owner: string, integration = "scripted-key") => {
      const session = await createSession(s, { origin_owner_id: owner, origin_owner_name: owner });
      const credentials =
        integration === "scripted-basic"
          ? { username: SCRIPTED_USER, api_key: SCRIPTED_KEY }
          : { api_key: SCRIPTED_KEY };
      const res = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: { integration_id: integration, credentials },
      });
      if (res.status !== 201) throw new Error(`link failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };
    const makeDue = (id: string) =>
      s.ctx.database.db
        .updateTable("accounts")
        .set({ health_next_at: Date.now() - 1 })
        .where("id", "=", id)
        .execute();
    const api = (method: string, path: string, body?: unknown, account?: string) =>
      fetch(`${s.url}${path}`, {
        method,
        headers: {
          authorization: basic(s.apiKey),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(account ? { "x-account-id": account } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const hooks = () => r.received.map((x) => JSON.parse(x.body) as Hook);
    const deliver = async (pred: (h: Hook[]) => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!pred(hooks())) {
        if (Date.now() > deadline)
          throw new Error(`no such delivery: ${JSON.stringify(hooks().map((h) => h.event))}`);
        await s.ctx.webhookWorker.tick();
        await new Promise((res) => setTimeout(res, 50));
      }
    };
    const account = async (id: string) =>
      (await (await api("GET", `/accounts/${id}`)).json()) as {
        status: string;
        status_reasons: { code: string; description: string; timestamp: string }[] | null;
      };

    beforeAll(async () => {
      p = await startScriptedProvider();
      r = await startReceiver();
      s = await startTestServer(dialect, {
        PORTICO_CATALOG_DIRS: p.catalogDir,
        PORTICO_HEALTH_CHECK_INTERVAL_HOURS: "24",
        PORTICO_HEALTH_CHECK_CONCURRENCY: "2",
      });
      await s.ctx.integrations.enable(s.projectId, "scripted-key", {});
      await s.ctx.integrations.enable(s.projectId, "scripted-basic", {});
      await s.ctx.webhooks.add(s.projectId, {
        url: r.url,
        events: ["account.updated", "account.error", "account.recovered"],
      });
    });
    afterAll(async () => {
      await s?.close();
      await p?.close();
      await r?.close();
    });
    beforeEach(() => {
      p.keys.clear();
      p.keys.add(SCRIPTED_KEY);
    });

    it("schedules a new account's first check about one interval out", async () => {
      const id = await link("sched-co");
      const view = await s.ctx.health.view(s.projectId, id);
      const inHours = (Date.parse(view.next_check_at!) - Date.now()) / 3_600_000;
      expect(inHours).toBeGreaterThan(21);
      expect(inHours).toBeLessThan(27);
      expect(view.checkable).toBe(true);
    });

    it("an account whose provider starts refusing its key goes to error within one check, with a webhook", async () => {
      const id = await link("revoked-co");
      p.keys.delete(SCRIPTED_KEY);
      await makeDue(id);
      p.calls.length = 0;
      expect(await s.ctx.health.runDue()).toBeGreaterThanOrEqual(1);
      // The refusal was confirmed by a second verification request before the account changed.
      expect(p.calls.filter((c) => c.path === "/me")).toHaveLength(2);
      const a = await account(id);
      expect(a.status).toBe("error");
      expect(a.status_reasons).toHaveLength(1);
      expect(a.status_reasons![0]!.code).toBe("credentials_rejected");
      expect(a.status_reasons![0]!.description).toMatch(
        /Scripted Key refused the account's credentials \(HTTP 401\)/,
      );
      // No field beyond StackOne's LinkedAccount.
      expect(Object.keys(a)).not.toContain("health_result");
      await deliver((h) =>
        h.some((x) => x.event === "account.updated" && x.account.id === id && x.account.status === "error"),
      );
      // account.error goes out too, as its own delivery (it may arrive a moment after).
      await deliver((h) => h.some((x) => x.event === "account.error" && x.account.id === id));
      const events = await s.ctx.history.accountTimeline(s.projectId, id);
      expect(events.data[0]).toMatchObject({
        type: "error",
        actor: { type: "scheduler", name: "health check" },
      });
      expect(events.data[0]!.detail).toMatchObject({ code: "credentials_rejected", source: "health_check" });
      const view = await s.ctx.health.view(s.projectId, id);
      expect(view).toMatchObject({ result: "rejected", detail: "HTTP 401", status: "error" });

      // The provider accepts the key again: a check asked for over the API brings the account back.
      p.keys.add(SCRIPTED_KEY);
      const res = await api("POST", `/portico/v1/accounts/${id}/check`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ account_id: id, result: "ok", status: "active" });
      const back = await account(id);
      expect(back.status).toBe("active");
      expect(back.status_reasons).toBeNull();
      await deliver((h) =>
        h.some((x) => x.event === "account.updated" && x.account.id === id && x.account.status === "active"),
      );
      await deliver((h) => h.some((x) => x.event === "account.recovered" && x.account.id === id));
      expect((await s.ctx.history.accountTimeline(s.projectId, id)).data[0]!.type).toBe("recovered");
    });

    it("checks a basic-auth account with its user name and password: refused, it goes to error; accepted, back", async () => {
      const id = await link("basic-co", "scripted-basic");
      p.keys.delete(SCRIPTED_KEY);
      await makeDue(id);
      p.calls.length = 0;
      expect(await s.ctx.health.runDue()).toBeGreaterThanOrEqual(1);
      expect(p.calls.filter((c) => c.path === "/me")).toHaveLength(2);
      const a = await account(id);
      expect(a.status).toBe("error");
      expect(a.status_reasons![0]!.code).toBe("credentials_rejected");
      expect(a.status_reasons![0]!.description).toMatch(/Scripted Basic refused the account's credentials/);
      await deliver((h) => h.some((x) => x.event === "account.error" && x.account.id === id));
      // The provider takes the password again: a check asked for over the API brings the account back.
      p.keys.add(SCRIPTED_KEY);
      const res = await api("POST", `/portico/v1/accounts/${id}/check`);
      expect(await res.json()).toMatchObject({ account_id: id, result: "ok", status: "active" });
      expect((await account(id)).status).toBe("active");
      await deliver((h) => h.some((x) => x.event === "account.recovered" && x.account.id === id));
    });

    it("a single refusal the second request does not confirm changes nothing", async () => {
      const id = await link("flaky-co");
      await makeDue(id);
      // The check's first request is refused, the confirming one accepted.
      p.keys.delete(SCRIPTED_KEY);
      setTimeout(() => p.keys.add(SCRIPTED_KEY), 300);
      await s.ctx.health.runDue();
      expect((await account(id)).status).toBe("active");
      expect((await s.ctx.health.view(s.projectId, id)).result).toBe("ok");
    });

    it("proxied calls count as checks: a refused call, once confirmed, puts the account in error; a success brings it back", async () => {
      const id = await link("proxy-co");
      p.keys.delete(SCRIPTED_KEY);
      const refused = await api("POST", "/unified/proxy", { path: "/employees" }, id);
      expect(refused.status).toBe(401);
      await expect.poll(async () => (await account(id)).status, { timeout: 10_000 }).toBe("error");
      p.keys.add(SCRIPTED_KEY);
      const ok = await api("POST", "/unified/proxy", { path: "/employees" }, id);
      expect(ok.status).toBe(200);
      await expect.poll(async () => (await account(id)).status, { timeout: 10_000 }).toBe("active");
      const view = await s.ctx.health.view(s.projectId, id);
      expect(view.detail).toMatch(/a proxied call succeeded/);
    });

    it("a provider that cannot tell says nothing: a 503 leaves the account active and asks again sooner", async () => {
      const id = await link("unsure-co");
      p.verifyQueue.push({ status: 503 });
      const view = await s.ctx.health.check(s.projectId, id, { type: "operator", id: "t", name: "t" });
      expect(view).toMatchObject({ result: "inconclusive", detail: "HTTP 503", status: "active" });
      const inMinutes = (Date.parse(view.next_check_at!) - Date.now()) / 60_000;
      expect(inMinutes).toBeLessThan(70);
    });
  });

  describe.skipIf(!dialectAvailable(dialect))(`health-check leases on ${dialect}`, () => {
    it("bounds one provider's checks across nodes, and never leases one account twice", async () => {
      const s = await startTestServer(dialect);
      try {
        const now = Date.now();
        for (let i = 0; i < 6; i++)
          await s.ctx.database.db
            .insertInto("accounts")
            .values({
              id: `acc_h${i}`,
              project_id: s.projectId,
              provider: "sandbox-hris",
              origin_owner_id: `o${i}`,
              origin_owner_name: "O",
              origin_username: null,
              label: null,
              metadata: null,
              type: "production",
              status: "active",
              status_reasons: null,
              credentials: null,
              setup_information: null,
              shared: null,
              created_at: now,
              updated_at: now,
              token_expires_at: null,
              next_refresh_at: null,
              refresh_lease_until: null,
              refresh_lease_owner: null,
              last_refreshed_at: null,
              health_checked_at: null,
              health_result: null,
              health_detail: null,
              health_next_at: now - 1000,
            })
            .execute();
        // Two nodes: two database handles, two stores, claiming at the same moment.
        const other = openDatabase(s.config.databaseUrl, {
          poolSize: 2,
          timeouts: s.config.databaseTimeouts,
        });
        try {
          const a = new HealthStore(s.ctx.database.db, s.ctx.database.dialect);
          const b = new HealthStore(other.db, other.dialect);
          // PostgreSQL: at the same moment. SQLite: one after the other, as its write lock orders
          // two processes' transactions (two handles in one process would block each other's thread).
          const claim = (st: HealthStore, owner: string) =>
            st.claimDue("sandbox-hris", owner, now, 60_000, 3);
          const [x, y] =
            dialect === "postgres"
              ? await Promise.all([claim(a, "node-a"), claim(b, "node-b")])
              : [await claim(a, "node-a"), await claim(b, "node-b")];
          expect(x.length + y.length).toBe(3);
          const ids = [...x, ...y].map((c) => c.id);
          expect(new Set(ids).size).toBe(ids.length);
          expect(await a.liveLeases("sandbox-hris", now)).toBe(3);
          // A check asked for an account already leased is refused; another node's lease holds.
          expect(
            await b.claimOne(
              { id: ids[0]!, project_id: s.projectId, provider: "sandbox-hris" },
              "node-b",
              now,
              60_000,
            ),
          ).toBe(false);
          // Bounded: the provider's slots are full for the scheduler until a lease ends.
          expect(await a.claimDue("sandbox-hris", "node-a", now, 60_000, 3)).toHaveLength(0);
          await a.release(x[0]?.id ?? y[0]!.id, x[0] ? "node-a" : "node-b");
          expect(await b.claimDue("sandbox-hris", "node-b", now, 60_000, 3)).toHaveLength(1);
          // A lapsed lease (a node that died mid-check) frees its slot.
          expect(await a.claimDue("sandbox-hris", "node-a", now + 61_000, 60_000, 3)).toHaveLength(3);
        } finally {
          await other.close();
        }
      } finally {
        await s.close();
      }
    });
  });
}
