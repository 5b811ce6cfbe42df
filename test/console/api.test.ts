import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleFetch, signIn } from "../helpers/console.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris, SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { startReceiver } from "../helpers/receiver.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

type Account = {
  id: string;
  origin_owner_id: string;
  origin_owner_name: string;
  status: string;
  provider: string;
};

/** The console API over real services, on both dialects: lists, search, overview, and no secrets. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`console API on ${dialect}`, () => {
    let s: TestServer;
    let cookie: string;
    const get = async (path: string) => {
      const res = await consoleFetch(s, cookie, "GET", path);
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };

    beforeAll(async () => {
      s = await startTestServer(dialect);
      cookie = await signIn(s);
      // 130 accounts straight into the table (as the benchmark does): owners grouped by tens,
      // a few in error, two providers.
      const now = Date.now() - 1_000_000;
      const rows = Array.from({ length: 130 }, (_, i) => ({
        id: `acc_t_${String(i).padStart(4, "0")}`,
        project_id: s.projectId,
        provider: i % 3 === 0 ? "bamboohr" : "sandbox-hris",
        origin_owner_id: `owner-${Math.floor(i / 10)}`,
        origin_owner_name: i < 10 ? "Zeta Corp" : `Acme ${Math.floor(i / 10)}`,
        type: "production",
        status: i % 13 === 0 ? "error" : "active",
        setup_information: null,
        label: null,
        metadata: null,
        origin_username: null,
        status_reasons: null,
        credentials: null,
        created_at: now + (i % 50) * 1000,
        updated_at: now,
      }));
      await s.ctx.database.db.insertInto("accounts").values(rows).execute();
    });
    afterAll(() => s?.close());

    const all = async (query: string, limit = 7) => {
      const out: Account[] = [];
      let cursor: string | null = null;
      do {
        const page: { data: Account[]; next: string | null } = await get(
          `/projects/${s.projectId}/accounts?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        out.push(...page.data);
        cursor = page.next;
      } while (cursor);
      return out;
    };

    it("pages every account once, newest first, with filters by provider, status and owner", async () => {
      const every = await all("");
      expect(every).toHaveLength(130);
      expect(new Set(every.map((a) => a.id)).size).toBe(130);
      const keys = every.map((a) => a.id);
      const sorted = [...every]
        .sort((a, b) => (a.id < b.id ? 1 : -1))
        .sort((a, b) => (Number(b.id.slice(6)) % 50) - (Number(a.id.slice(6)) % 50));
      expect(keys).toEqual(sorted.map((a) => a.id));
      const errors = await all("&status=error");
      expect(errors.map((a) => a.status)).toEqual(Array(10).fill("error"));
      const bamboo = await all("&provider=bamboohr", 5);
      expect(bamboo).toHaveLength(44);
      expect(bamboo.every((a) => a.provider === "bamboohr")).toBe(true);
      expect((await all("&provider=bamboohr&status=error")).every((a) => a.status === "error")).toBe(true);
      expect((await all("&owner=owner-3")).map((a) => a.origin_owner_id)).toEqual(Array(10).fill("owner-3"));
    });

    it("searches owner ids by prefix, then owner names by prefix in any case, each account once", async () => {
      const byId = await all("&q=owner-1", 4);
      // owner-1 and owner-10 .. owner-12
      expect(byId).toHaveLength(40);
      expect(byId.every((a) => a.origin_owner_id.startsWith("owner-1"))).toBe(true);
      const ids = byId.map((a) => a.origin_owner_id);
      expect(ids).toEqual([...ids].sort());
      const byName = await all("&q=zeta", 3);
      expect(byName).toHaveLength(10);
      expect(byName.every((a) => a.origin_owner_name === "Zeta Corp")).toBe(true);
      // "o" matches every owner id: names come after, and none twice.
      const both = await all("&q=o", 25);
      expect(both).toHaveLength(130);
      expect(await all("&q=nobody")).toEqual([]);
      const bad = await consoleFetch(
        s,
        cookie,
        "GET",
        `/projects/${s.projectId}/accounts?q=x&cursor=garbage`,
      );
      expect(bad.status).toBe(400);
      expect((await bad.json()).message).toMatch(/^cursor: /);
    });

    it("summarizes the project: accounts by status and provider, activity per day, webhooks, refreshes", async () => {
      const session = await createSession(s, { origin_owner_id: "ov-1", origin_owner_name: "Overview Co" });
      await linkSandboxHris(s, session.token);
      await s.ctx.history.flush();
      const o = await get(`/projects/${s.projectId}/overview`);
      expect(o.accounts.total).toBe(131);
      expect(o.accounts.by_status).toEqual([
        { status: "active", count: 121 },
        { status: "error", count: 10 },
      ]);
      expect(o.accounts.by_provider).toEqual([
        { provider: "sandbox-hris", name: "Sandbox HRIS", count: 87 },
        { provider: "bamboohr", name: "BambooHR", count: 44 },
      ]);
      expect(o.per_day).toHaveLength(30);
      expect(o.per_day.at(-1)).toMatchObject({
        date: new Date().toISOString().slice(0, 10),
        sessions_opened: 1,
        accounts_linked: 1,
      });
      expect(o.refresh_failures).toEqual({ last_7_days: 0, accounts_in_error: 10 });
      expect(o.webhooks).toMatchObject({ endpoints: { total: 0 }, success_rate: null, backlog: 0 });
    });

    it("never answers with a credential, token or secret beyond the ones shown once", async () => {
      const receiver = await startReceiver();
      try {
        const session = await createSession(s, {
          origin_owner_id: "secret-1",
          origin_owner_name: "Secret Co",
        });
        const hook = await (
          await consoleFetch(s, cookie, "POST", `/projects/${s.projectId}/webhooks`, { url: receiver.url })
        ).json();
        const accountId = await linkSandboxHris(s, session.token);
        expect(hook.secret).toMatch(/^whsec_/);
        const rotated = await (
          await consoleFetch(s, cookie, "POST", `/projects/${s.projectId}/webhooks/${hook.id}/rotate-secret`)
        ).json();
        expect(rotated.secret).toMatch(/^whsec_/);
        const key = await (
          await consoleFetch(s, cookie, "POST", `/projects/${s.projectId}/api-keys`, { name: "console" })
        ).json();
        expect(key.api_key).toMatch(/^sk_/);
        const oauth = await consoleFetch(s, cookie, "PUT", `/projects/${s.projectId}/integrations/hubspot`, {
          active: true,
          client_id: "hub-client",
          client_secret: "hub-secret-value",
        });
        expect(await oauth.json()).toMatchObject({
          oauth: { client_id: "hub-client", client_secret_set: true },
        });
        await fetch(`${s.url}/unified/proxy`, {
          method: "POST",
          headers: {
            authorization: basic(s.apiKey),
            "content-type": "application/json",
            "x-account-id": accountId,
          },
          body: JSON.stringify({ path: "/employees?token=query-secret" }),
        });
        // Test servers run no background workers: deliver by hand.
        for (let i = 0; i < 200 && receiver.received.length === 0; i++) {
          await s.ctx.webhookWorker.tick();
          await new Promise((r) => setTimeout(r, 25));
        }
        await s.ctx.webhookWorker.drain();
        expect(receiver.received.length).toBeGreaterThan(0);
        await s.ctx.history.flush();

        const p = `/projects/${s.projectId}`;
        const deliveries = (await get(`${p}/webhooks/${hook.id}/deliveries`)) as { id: string }[];
        expect(deliveries.length).toBeGreaterThan(0);
        const answers = await Promise.all(
          [
            "/me",
            "/settings",
            "/sessions",
            `/organizations/${s.organizationId}/users`,
            `/organizations/${s.organizationId}/sessions`,
            ...deliveries.map((d) => `${p}/webhooks/deliveries/${d.id}`),
            "/projects",
            `${p}/overview`,
            `${p}/accounts`,
            `${p}/accounts/${accountId}`,
            `${p}/accounts/${accountId}/events`,
            `${p}/accounts/${accountId}/requests`,
            `${p}/integrations`,
            `${p}/webhooks`,
            `${p}/webhooks/${hook.id}/deliveries`,
            `${p}/api-keys`,
            `${p}/logs/requests`,
            `${p}/logs/events`,
            `${p}/logs/audit`,
          ].map(async (path) => JSON.stringify(await get(path))),
        );
        const text = answers.join("\n");
        expect(text).toContain(accountId);
        const rows = await s.ctx.database.db.selectFrom("accounts").select("credentials").execute();
        for (const secret of [
          SANDBOX_HRIS_KEY,
          s.apiKey,
          key.api_key,
          hook.secret,
          rotated.secret,
          "hub-secret-value",
          session.token,
          "query-secret",
          cookie.split("=")[1]!,
          ...rows.flatMap((r) => (r.credentials ? [r.credentials] : [])),
        ])
          expect(text).not.toContain(secret);
        expect(text).not.toMatch(/"v1\.[A-Za-z0-9_-]+\./);
        expect(text).not.toMatch(/(sk|cst|whsec|pcs|pcl)_[A-Za-z0-9_-]{20,}/);
      } finally {
        await receiver.close();
      }
    });

    it("lists the project's deliveries to every endpoint by the overview's states, and only its own", async () => {
      const project = await s.ctx.tenancy.createProject({ name: "Deliveries" });
      const p = `/projects/${project.project_id}`;
      const hook = await (
        await consoleFetch(s, cookie, "POST", `${p}/webhooks`, { url: "http://127.0.0.1:9/hook" })
      ).json();
      const now = Date.now();
      await s.ctx.database.db
        .insertInto("webhook_events")
        .values({
          id: "evt_states",
          project_id: project.project_id,
          type: "account.created",
          payload: "{}",
          created_at: now,
        })
        .execute();
      const delivery = (id: string, status: string, attempts: number, at: number) => ({
        id,
        event_id: "evt_states",
        endpoint_id: hook.id,
        project_id: project.project_id,
        status,
        attempts,
        next_attempt_at: now + 60_000,
        delivered_at: status === "delivered" ? now : null,
        created_at: at,
      });
      await s.ctx.database.db
        .insertInto("webhook_deliveries")
        .values([
          delivery("whd_waiting", "pending", 0, now - 1),
          delivery("whd_retrying", "pending", 2, now - 2),
          delivery("whd_delivered", "delivered", 1, now - 3),
          delivery("whd_failed", "failed", 8, now - 4),
        ])
        .execute();
      const ids = async (path: string) => ((await get(path)) as { id: string }[]).map((d) => d.id);
      expect(await ids(`${p}/webhooks/deliveries`)).toEqual([
        "whd_waiting",
        "whd_retrying",
        "whd_delivered",
        "whd_failed",
      ]);
      expect(await ids(`${p}/webhooks/deliveries?state=backlog`)).toEqual(["whd_waiting", "whd_retrying"]);
      expect(await ids(`${p}/webhooks/deliveries?state=retrying`)).toEqual(["whd_retrying"]);
      expect(await ids(`${p}/webhooks/deliveries?state=waiting`)).toEqual(["whd_waiting"]);
      expect(await ids(`${p}/webhooks/deliveries?state=delivered`)).toEqual(["whd_delivered"]);
      expect(await ids(`${p}/webhooks/deliveries?state=failed`)).toEqual(["whd_failed"]);
      expect(await ids(`${p}/webhooks/${hook.id}/deliveries?state=failed`)).toEqual(["whd_failed"]);
      // The main project's deliveries never show here, nor these there.
      expect(await ids(`/projects/${s.projectId}/webhooks/deliveries`)).not.toContain("whd_waiting");
      const bad = await consoleFetch(s, cookie, "GET", `${p}/webhooks/deliveries?state=lost`);
      expect(bad.status).toBe(400);
      expect((await bad.json()).message).toMatch(/^state: must be one of "backlog"/);
    });

    it("scopes everything to the project in the path", async () => {
      const other = await s.ctx.tenancy.createProject({ name: "Elsewhere" });
      const theirs = await get(`/projects/${other.project_id}/accounts`);
      expect(theirs.data).toEqual([]);
      const res = await consoleFetch(s, cookie, "GET", `/projects/${other.project_id}/accounts/acc_t_0001`);
      expect(res.status).toBe(404);
      const keyId = (await s.ctx.tenancy.listApiKeys(s.projectId))[0]!.id;
      const revoke = await consoleFetch(
        s,
        cookie,
        "POST",
        `/projects/${other.project_id}/api-keys/${keyId}/revoke`,
      );
      expect(revoke.status).toBe(404);
      expect((await s.ctx.tenancy.listApiKeys(s.projectId))[0]!.revoked_at).toBeNull();
      expect((await consoleFetch(s, cookie, "GET", "/projects/proj_nope/overview")).status).toBe(404);
    });
  });
}
