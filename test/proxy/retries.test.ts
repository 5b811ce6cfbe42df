import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { retryAfterMs, retryable } from "../../src/proxy/retry.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { SCRIPTED_KEY, type ScriptedProvider, startScriptedProvider } from "../helpers/scripted-provider.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The proxy's retries (issue 21), against a provider on 127.0.0.1 that answers as scripted: a 429
 * is retried for every method after its Retry-After, 502/503/504 for idempotent methods only, at
 * most 5 times within the time limit; the caller gets the last answer, and the request log has
 * one step per attempt. `x-portico-retry: off` turns it off for one call.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`proxy retries on ${dialect}`, () => {
    let s: TestServer;
    let p: ScriptedProvider;
    let accountId: string;

    const proxy = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${s.url}/unified/proxy`, {
        method: "POST",
        headers: {
          authorization: basic(s.apiKey),
          "content-type": "application/json",
          "x-account-id": accountId,
          ...headers,
        },
        body: JSON.stringify(body),
      });
    const providerCalls = () => p.calls.filter((c) => c.path !== "/me");

    beforeAll(async () => {
      p = await startScriptedProvider();
      s = await startTestServer(dialect, { PORTICO_CATALOG_DIRS: p.catalogDir });
      await s.ctx.integrations.enable(s.projectId, "scripted-key", {});
      const session = await createSession(s, { origin_owner_id: "retry-co", origin_owner_name: "Retry Co" });
      const res = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: { integration_id: "scripted-key", credentials: { api_key: SCRIPTED_KEY } },
      });
      accountId = ((await res.json()) as { id: string }).id;
    });
    afterAll(async () => {
      await s?.close();
      await p?.close();
    });
    beforeEach(() => {
      p.calls.length = 0;
      p.queue.length = 0;
    });

    it("429 with Retry-After: 1 twice, then 200: the caller gets the 200 after about 2 s", async () => {
      const limited = { status: 429, headers: { "retry-after": "1" }, body: { message: "slow down" } };
      p.queue.push(limited, limited);
      const started = Date.now();
      const res = await proxy({ path: "/employees", method: "post", body: { name: "Ada" } });
      const took = Date.now() - started;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: number }).status).toBe(200);
      expect(providerCalls()).toHaveLength(3);
      expect(took).toBeGreaterThanOrEqual(1900);
      const [a, b, c] = providerCalls();
      expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
      expect(c!.at - b!.at).toBeGreaterThanOrEqual(950);
    });

    it("a provider that keeps answering 429 gives the caller its 429 after 5 retries", async () => {
      for (let i = 0; i < 10; i++)
        p.queue.push({ status: 429, headers: { "retry-after": "0" }, body: { message: "quota exhausted" } });
      const res = await proxy({ path: "/employees" });
      expect(res.status).toBe(429);
      const body = (await res.json()) as { statusCode: number; message: string };
      expect(body.statusCode).toBe(429);
      expect(body.message).toBe("quota exhausted");
      expect(providerCalls()).toHaveLength(6);
      expect(res.headers.get("retry-after")).toBe("0");
    });

    it("each attempt is one step of the request log", async () => {
      p.queue.push(
        { status: 429, headers: { "retry-after": "0" } },
        { status: 503, headers: { "retry-after": "0" } },
      );
      const res = await proxy({ path: "/steps" });
      expect(res.status).toBe(200);
      await s.ctx.history.flush();
      const logs = await s.ctx.history.listRequestLogs(s.projectId, {
        account_ids: [accountId],
        include: "step_logs",
        page_size: 1,
      });
      const steps = logs.data[0]!.step_requests!;
      expect(steps.map((st) => st.status)).toEqual([429, 503, 200]);
      expect(steps.every((st) => st.path === "/steps" && typeof st.duration === "number")).toBe(true);
      expect(logs.data[0]!.status).toBe(200);
    });

    it("503 is retried for GET but not for POST; a 500 never", async () => {
      p.queue.push({ status: 503, headers: { "retry-after": "0" } });
      expect((await proxy({ path: "/x", method: "get" })).status).toBe(200);
      expect(providerCalls()).toHaveLength(2);
      p.calls.length = 0;
      p.queue.push({ status: 503, headers: { "retry-after": "0" } });
      expect((await proxy({ path: "/x", method: "post", body: {} })).status).toBe(503);
      expect(providerCalls()).toHaveLength(1);
      p.calls.length = 0;
      p.queue.push({ status: 500 });
      expect((await proxy({ path: "/x" })).status).toBe(500);
      expect(providerCalls()).toHaveLength(1);
    });

    it("x-portico-retry: off turns retries off for one call, and never reaches the provider", async () => {
      p.queue.push({ status: 429, headers: { "retry-after": "0" } });
      const res = await proxy({ path: "/x" }, { "x-portico-retry": "off" });
      expect(res.status).toBe(429);
      expect(providerCalls()).toHaveLength(1);
    });

    it("a Retry-After past the time limit is not waited for: the caller gets that 429 at once", async () => {
      p.queue.push({ status: 429, headers: { "retry-after": "3600" } });
      const started = Date.now();
      const res = await proxy({ path: "/x" });
      expect(res.status).toBe(429);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(providerCalls()).toHaveLength(1);
    });
  });
}

describe("retry rules", () => {
  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs("2")).toBe(2000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
    expect(retryAfterMs("soon")).toBeNull();
    expect(retryAfterMs(undefined)).toBeNull();
  });
  it("retries 429 for any method, 502-504 for idempotent ones", () => {
    expect(retryable("POST", 429)).toBe(true);
    expect(retryable("PATCH", 503)).toBe(false);
    expect(retryable("PUT", 504)).toBe(true);
    expect(retryable("GET", 500)).toBe(false);
  });
});

describe("withRetries", () => {
  it("gives the last answer when a retry fails to get one", async () => {
    const { withRetries } = await import("../../src/proxy/retry.js");
    let n = 0;
    const steps: { status: number | null }[] = [];
    const res = await withRetries(
      async () => {
        if (n++ === 0) return { status: 503, headers: { "retry-after": "0" }, body: Buffer.from("busy") };
        throw new Error("the provider went away");
      },
      { method: "GET", deadline: Date.now() + 5000, enabled: true, steps: steps as never },
    );
    expect(res.status).toBe(503);
    expect(steps.map((s) => s.status)).toEqual([503, null]);
  });
});
