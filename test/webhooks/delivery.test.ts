import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stackoneSignature } from "../../src/webhooks/signing.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { type Receiver, startReceiver } from "../helpers/receiver.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** Webhooks end to end with a real receiver on 127.0.0.1; the worker runs as in production. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`webhook delivery on ${dialect}`, () => {
    let s: TestServer;
    let rx: Receiver;
    let timer: NodeJS.Timeout;
    beforeAll(async () => {
      s = await startTestServer(dialect, {
        PORTICO_WEBHOOK_RETRY_BASE_MS: "50",
        PORTICO_WEBHOOK_TIMEOUT_MS: "1000",
      });
      // The delivery worker, polling like `portico serve` does.
      timer = setInterval(() => void s.ctx.webhookWorker.tick().catch(() => {}), 25);
    });
    afterAll(async () => {
      clearInterval(timer);
      await s?.ctx.webhookWorker.drain();
      await s?.close();
    });
    beforeAll(async () => {
      rx = await startReceiver();
    });
    afterAll(() => rx?.close());
    afterEach(() => {
      rx.refuseNext(0);
      rx.setDelay(0);
    });

    const api = (path: string, init: { method?: string; body?: unknown } = {}) =>
      fetch(`${s.url}/portico/v1${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: basic(s.apiKey),
          ...(init.body ? { "content-type": "application/json" } : {}),
        },
        body: init.body ? JSON.stringify(init.body) : undefined,
      });

    const events = (owner: string) =>
      rx.received.map((r) => JSON.parse(r.body)).filter((b) => b.origin_owner_id === owner);

    let endpoint: { id: string; secret: string };

    it("registers an endpoint over HTTP and shows its secret once", async () => {
      const res = await api("/webhooks", { method: "POST", body: { url: rx.url, description: "main" } });
      expect(res.status).toBe(201);
      endpoint = await res.json();
      expect(endpoint.id).toMatch(/^we_/);
      expect(endpoint.secret).toMatch(/^whsec_/);
      const list = await (await api("/webhooks")).json();
      expect(list.map((e: { id: string }) => e.id)).toEqual([endpoint.id]);
      expect(JSON.stringify(list)).not.toContain(endpoint.secret);
      const row = await s.ctx.database.db
        .selectFrom("webhook_endpoints")
        .select("secret")
        .where("id", "=", endpoint.id)
        .executeTakeFirstOrThrow();
      expect(row.secret).not.toContain(endpoint.secret.slice(6));
    });

    it("delivers a signed account.created, then account.deleted", async () => {
      const session = await createSession(s, {
        origin_owner_id: "wh-1",
        origin_owner_name: "Hooked",
        origin_username: "ann",
      });
      const accountId = await linkSandboxHris(s, session.token);
      await rx.waitFor(() => events("wh-1").some((e) => e.event === "account.created"));
      const created = rx.received.find((r) => JSON.parse(r.body).account_id === accountId)!;
      const payload = new Webhook(endpoint.secret).verify(
        created.body,
        created.headers as Record<string, string>,
      ) as Record<string, unknown>;
      expect(payload).toMatchObject({
        event: "account.created",
        account_id: accountId,
        provider: "sandbox-hris",
        origin_owner_id: "wh-1",
        origin_owner_name: "Hooked",
        origin_username: "ann",
        project_id: s.projectId,
        account: { id: accountId, status: "active" },
      });
      expect(payload.id).toBe(created.id);
      expect(typeof payload.event_date).toBe("string");
      expect(created.body).not.toContain("sandbox-demo-key");
      expect(created.headers["x-stackone-signature"]).toMatch(/^[A-Za-z0-9_-]+$/);

      const del = await fetch(`${s.url}/accounts/${accountId}`, {
        method: "DELETE",
        headers: { authorization: basic(s.apiKey) },
      });
      expect(del.status).toBe(200);
      await rx.waitFor(() => events("wh-1").some((e) => e.event === "account.deleted"));
    });

    it("announces account.recovered when new credentials take an account out of error", async () => {
      const session = await createSession(s, { origin_owner_id: "wh-rec", origin_owner_name: "Rec" });
      const accountId = await linkSandboxHris(s, session.token);
      await s.ctx.database.db
        .updateTable("accounts")
        .set({
          status: "error",
          status_reasons: JSON.stringify([{ code: "x", description: "d", timestamp: "t" }]),
        })
        .where("id", "=", accountId)
        .execute();
      const res = await fetch(`${s.url}/accounts/${accountId}`, {
        method: "PATCH",
        headers: { authorization: basic(s.apiKey), "content-type": "application/json" },
        body: JSON.stringify({ credentials: { api_key: "sandbox-demo-key" } }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: "active", status_reasons: null });
      // Deliveries to one endpoint may run side by side: wait for all three, compare what arrived,
      // not its order.
      await rx.waitFor(() => events("wh-rec").length >= 3);
      expect(
        events("wh-rec")
          .map((e) => e.event)
          .sort(),
      ).toEqual(["account.created", "account.recovered", "account.updated"]);
    });

    it("keeps delivering to other endpoints when one's secret cannot be read here", async () => {
      // As on a node whose keyring lacks a key another node already writes with.
      const other = await startReceiver();
      try {
        const broken = await (await api("/webhooks", { method: "POST", body: { url: other.url } })).json();
        await s.ctx.database.db
          .updateTable("webhook_endpoints")
          .set({ secret: "v1.kmissing.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AAAA" })
          .where("id", "=", broken.id)
          .execute();
        const session = await createSession(s, { origin_owner_id: "wh-keyless", origin_owner_name: "K" });
        await linkSandboxHris(s, session.token);
        // The healthy endpoint still gets it; the broken one's lane fails without an unhandled
        // rejection (which would end the process, and fails this test run).
        await rx.waitFor(() => events("wh-keyless").length === 1);
        await new Promise((r) => setTimeout(r, 300));
        expect(other.received).toEqual([]);
        expect((await api(`/webhooks/${broken.id}`, { method: "DELETE" })).status).toBe(200);
      } finally {
        await other.close();
      }
    });

    it("keeps retrying a refusing receiver until every event arrives, with stable ids", async () => {
      rx.refuseNext(4);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const session = await createSession(s, { origin_owner_id: `wh-retry-${i}`, origin_owner_name: "R" });
        ids.push(await linkSandboxHris(s, session.token));
      }
      await rx.waitFor(() =>
        ids.every((id) => rx.received.some((r) => JSON.parse(r.body).account_id === id)),
      );
      // The receiver records a delivery before it answers: the worker marks it delivered a moment later.
      let deliveries: { status: string; attempts: { status_code: number }[] }[] = [];
      for (let i = 0; i < 100; i++) {
        deliveries = await (await api(`/webhooks/${endpoint.id}/deliveries?limit=100`)).json();
        if (deliveries.every((d) => d.status === "delivered")) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const retried = deliveries.filter((d) => d.attempts.length > 1);
      expect(retried.length).toBeGreaterThan(0);
      for (const d of retried) {
        expect(d.status).toBe("delivered");
        expect(d.attempts[0]?.status_code).toBe(503);
      }
      const rows = await s.ctx.database.db
        .selectFrom("webhook_deliveries")
        .select(["status"])
        .where("endpoint_id", "=", endpoint.id)
        .execute();
      expect(rows.every((r) => r.status === "delivered")).toBe(true);
    });

    it("delivers only subscribed events, and a slow endpoint does not hold up the others", async () => {
      const slowRx = await startReceiver();
      slowRx.setDelay(3000);
      const slow = await (await api("/webhooks", { method: "POST", body: { url: slowRx.url } })).json();
      const onlyDeleted = await (
        await api("/webhooks", {
          method: "POST",
          body: { url: `${rx.url}?only=deleted`, events: ["account.deleted"] },
        })
      ).json();
      const started = Date.now();
      const session = await createSession(s, { origin_owner_id: "wh-slow", origin_owner_name: "S" });
      await linkSandboxHris(s, session.token);
      await rx.waitFor(() => events("wh-slow").length >= 1);
      expect(Date.now() - started).toBeLessThan(2500);
      await new Promise((r) => setTimeout(r, 200));
      expect(events("wh-slow").map((e) => e.event)).toEqual(["account.created"]);
      expect(
        rx.received.filter((r) => r.headers.host && JSON.parse(r.body).origin_owner_id === "wh-slow"),
      ).toHaveLength(1);
      await api(`/webhooks/${slow.id}`, { method: "DELETE" });
      await api(`/webhooks/${onlyDeleted.id}`, { method: "DELETE" });
      await slowRx.close();
    });

    it("lists attempts and replays an event by id", async () => {
      const session = await createSession(s, { origin_owner_id: "wh-replay", origin_owner_name: "R" });
      await linkSandboxHris(s, session.token);
      await rx.waitFor(() => events("wh-replay").length === 1);
      const eventId = rx.received.find((r) => JSON.parse(r.body).origin_owner_id === "wh-replay")!.id;
      const res = await api("/webhooks/replay", { method: "POST", body: { event_id: eventId } });
      expect(res.status).toBe(202);
      expect(await res.json()).toEqual({ events: 1, deliveries: 1, next_since: null });
      await rx.waitFor(() => rx.received.filter((r) => r.id === eventId).length === 2);
      const since = new Date(Date.now() - 60_000).toISOString();
      const range = await (await api("/webhooks/replay", { method: "POST", body: { since } })).json();
      expect(range.events).toBeGreaterThan(3);
      expect((await api("/webhooks/replay", { method: "POST", body: {} })).status).toBe(400);
    });

    it("rotates the secret with an overlap: both secrets verify during it", async () => {
      const res = await api(`/webhooks/${endpoint.id}/rotate-secret`, { method: "POST" });
      expect(res.status).toBe(200);
      const rotated = await res.json();
      expect(rotated.secret).not.toBe(endpoint.secret);
      const session = await createSession(s, { origin_owner_id: "wh-rot", origin_owner_name: "R" });
      await linkSandboxHris(s, session.token);
      await rx.waitFor(() => events("wh-rot").length === 1);
      const d = rx.received.find((r) => JSON.parse(r.body).origin_owner_id === "wh-rot")!;
      expect(new Webhook(rotated.secret).verify(d.body, d.headers as Record<string, string>)).toBeTruthy();
      expect(new Webhook(endpoint.secret).verify(d.body, d.headers as Record<string, string>)).toBeTruthy();
      // The one-signature header carries the new secret's signature at once.
      expect(d.headers["x-stackone-signature"]).toBe(stackoneSignature(rotated.secret, d.body));
      endpoint = rotated;
    });

    it("disables an endpoint that has failed for too long, and re-enables it", async () => {
      const deadRx = await startReceiver();
      const dead = await (await api("/webhooks", { method: "POST", body: { url: deadRx.url } })).json();
      deadRx.refuseNext(1000, 500);
      await s.ctx.database.db
        .updateTable("webhook_endpoints")
        .set({ failing_since: Date.now() - 200 * 3600_000, consecutive_failures: 50 })
        .where("id", "=", dead.id)
        .execute();
      const session = await createSession(s, { origin_owner_id: "wh-dead", origin_owner_name: "D" });
      await linkSandboxHris(s, session.token);
      const deadline = Date.now() + 10_000;
      let state = await (await api(`/webhooks/${dead.id}`)).json();
      while (state.status !== "disabled" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        state = await (await api(`/webhooks/${dead.id}`)).json();
      }
      expect(state.status).toBe("disabled");
      expect(state.disabled_reason).toMatch(/every delivery failed since/);
      deadRx.refuseNext(0);
      expect((await (await api(`/webhooks/${dead.id}/enable`, { method: "POST" })).json()).status).toBe(
        "active",
      );
      await deadRx.waitFor((r) => r.some((x) => JSON.parse(x.body).origin_owner_id === "wh-dead"));
      await api(`/webhooks/${dead.id}`, { method: "DELETE" });
      await deadRx.close();
    });

    it("refuses a bad URL, an unknown event type and another project's endpoint", async () => {
      const bad = await api("/webhooks", { method: "POST", body: { url: "ftp://x.example" } });
      expect(bad.status).toBe(400);
      expect((await bad.json()).message).toMatch(/^url:/);
      const badEvent = await api("/webhooks", {
        method: "POST",
        body: { url: rx.url, events: ["account.exploded"] },
      });
      expect(badEvent.status).toBe(400);
      expect((await badEvent.json()).message).toMatch(/events\.0/);
      const other = await s.ctx.tenancy.createProject({ name: "Other" });
      const key = await s.ctx.tenancy.createApiKey(other.project_id);
      const res = await fetch(`${s.url}/portico/v1/webhooks/${endpoint.id}`, {
        headers: { authorization: basic(key.api_key) },
      });
      expect(res.status).toBe(404);
    });
  });
}

describe("webhook endpoints without private networks", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer("sqlite", { PORTICO_ALLOW_PRIVATE_NETWORKS: "false" });
  });
  afterAll(() => s?.close());

  it("refuses loopback, private and link-local URLs at registration", async () => {
    for (const url of [
      "http://127.0.0.1:9/h",
      "http://localhost/h",
      "http://10.1.2.3/h",
      "http://169.254.169.254/latest",
      "http://[::1]/h",
    ]) {
      const res = await fetch(`${s.url}/portico/v1/webhooks`, {
        method: "POST",
        headers: { authorization: basic(s.apiKey), "content-type": "application/json" },
        body: JSON.stringify({ url }),
      });
      expect(res.status, url).toBe(400);
      expect((await res.json()).message).toMatch(/private address/);
    }
  });
});
