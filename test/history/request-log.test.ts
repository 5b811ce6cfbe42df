import * as errors from "@stackone/stackone-client-ts/sdk/models/errors/index.js";
import type { UnifiedLogsPartial } from "@stackone/stackone-client-ts/sdk/models/shared/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris, SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { storedRows } from "../helpers/request-log.js";
import { sdkFor, thrown } from "../helpers/sdk.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The request log, recorded for every API and proxied call and served as StackOne's Request Logs
 * API: driven through the official SDK's `requestLogs.listLogs` and `requestLogs.getLog`.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`request log on ${dialect}`, () => {
    let s: TestServer;
    let accountId: string;
    let keyId: string;
    const started = new Date(Date.now() - 1000);
    /** When the calls under test were all made. */
    let made: Date;
    const api = (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
      fetch(`${s.url}${path}`, {
        method,
        headers: {
          authorization: basic(s.apiKey),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...extra,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    beforeAll(async () => {
      s = await startTestServer(dialect);
      keyId = (await s.ctx.tenancy.listApiKeys(s.projectId))[0]!.id;
      const session = await createSession(s, { origin_owner_id: "log-1", origin_owner_name: "Logs Inc" });
      accountId = await linkSandboxHris(s, session.token);
      expect((await api("GET", "/accounts?origin_owner_id=log-1&page_size=5")).status).toBe(200);
      expect((await api("GET", "/accounts/acc_missing")).status).toBe(404);
      const proxied = await api(
        "POST",
        "/unified/proxy",
        {
          method: "get",
          path: "/employees?per_page=2&q=query-value-xyz",
          headers: { "x-note": "header-value-xyz" },
        },
        { "x-account-id": accountId },
      );
      expect(proxied.status).toBe(200);
      const refused = await api(
        "POST",
        "/unified/proxy",
        { method: "post", path: "/employees", body: { note: "body-value-xyz" } },
        { "x-account-id": accountId },
      );
      // Sandbox HRIS has no POST /employees: the provider's own 404.
      expect(refused.status).toBe(404);
      expect(
        (await api("POST", "/unified/proxy", { path: "/employees" }, { "x-account-id": "acc_nope" })).status,
      ).toBe(404);
      expect((await fetch(`${s.url}/accounts`)).status).toBe(401);
      await s.ctx.history.flush();
      made = new Date();
    });
    afterAll(() => s?.close());

    /** Every page of the calls made in beforeAll (reading the log is an API call too, logged later). */
    const all = async (req: Parameters<ReturnType<typeof sdkFor>["requestLogs"]["listLogs"]>[0] = {}) => {
      const out: UnifiedLogsPartial[] = [];
      let next: string | undefined;
      const filter = { endDate: made, ...req.filter };
      do {
        const page = (await sdkFor(s.url, s.apiKey).requestLogs.listLogs({ ...req, filter, next }))
          .unifiedLogsPaginated!;
        out.push(...page.data);
        next = page.next ?? undefined;
      } while (next);
      return out;
    };

    it("records every API call with its route, status, duration and key, newest first", async () => {
      const logs = await all();
      const calls = logs.map((l) => `${l.httpMethod} ${l.path} ${l.status}`);
      expect(calls.sort()).toEqual([
        "GET /accounts 200",
        "GET /accounts/acc_missing 404",
        "POST /connect_sessions 201",
        "POST /unified/proxy 200",
        "POST /unified/proxy 404",
        "POST /unified/proxy 404",
      ]);
      // The unauthenticated call belongs to no project: it is not in anyone's log.
      expect(logs.every((l) => l.sourceId === keyId && l.sourceType === "API_KEY")).toBe(true);
      expect(logs.every((l) => l.projectId === s.projectId)).toBe(true);
      const times = logs.map((l) => l.eventDatetime!.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      for (const l of logs) {
        expect(l.duration).toBeGreaterThanOrEqual(0);
        expect(l.endTime!.getTime() - l.startTime!.getTime()).toBe(l.duration);
        expect(l.success).toBe(l.status! < 400);
      }
      expect(logs.find((l) => l.path === "/accounts/acc_missing")!.accountId).toBe("acc_missing");
    });

    it("records a proxied call's account, provider request and status, and Portico's own error", async () => {
      const logs = await all({
        filter: { accountIds: `${accountId},acc_nope` },
        include: "step_logs" as never,
      });
      expect(logs).toHaveLength(3);
      const ok = logs.find((l) => l.status === 200)!;
      expect(ok).toMatchObject({ service: "proxy", provider: "sandbox-hris", accountId, httpMethod: "POST" });
      expect(ok.stepRequests).toHaveLength(1);
      expect(ok.stepRequests![0]).toMatchObject({
        httpMethod: "GET",
        path: "/employees",
        status: 200,
        success: true,
      });
      expect(ok.stepRequests![0]!.url).toBe("https://sandbox.portico.internal/hris/employees");
      const refused = logs.find((l) => l.stepRequests?.[0]?.httpMethod === "POST")!;
      expect(refused.stepRequests![0]!.status).toBe(refused.status);
      const missing = logs.find((l) => l.accountId === "acc_nope")!;
      expect(missing.status).toBe(404);
      expect(missing.stepRequests).toBeNull();
      const raw = await s.ctx.history.getRequestLog(s.projectId, missing.requestId!);
      expect(raw.error).toBe("x-account-id: account acc_nope not found");
    });

    it("never stores a body, a header value, a query value or a credential", async () => {
      const rows = await storedRows(s);
      const text = JSON.stringify(rows);
      expect(rows.filter((r) => "duration" in r).length).toBeGreaterThanOrEqual(6);
      expect(text).toContain("/employees");
      for (const secret of [
        "query-value-xyz",
        "header-value-xyz",
        "body-value-xyz",
        "per_page",
        s.apiKey,
        SANDBOX_HRIS_KEY,
      ])
        expect(text).not.toContain(secret);
    });

    it("filters by status, success, method, service, key and time, and matches nothing on fields it does not record", async () => {
      expect((await all({ filter: { statusCodes: "404" } })).map((l) => l.path).sort()).toEqual([
        "/accounts/acc_missing",
        "/unified/proxy",
        "/unified/proxy",
      ]);
      expect((await all({ filter: { statusCodes: "201,200" } })).map((l) => l.status).sort()).toEqual([
        200, 200, 201,
      ]);
      expect((await all({ filter: { success: false } })).every((l) => l.status! >= 400)).toBe(true);
      expect((await all({ filter: { httpMethods: "get" } })).every((l) => l.httpMethod === "GET")).toBe(true);
      expect((await all({ filter: { services: "proxy" } })).length).toBe(3);
      expect((await all({ filter: { sourceIds: keyId } })).length).toBe(6);
      expect(await all({ filter: { sourceIds: "key_other" } })).toEqual([]);
      expect(await all({ filter: { endDate: started } })).toEqual([]);
      expect(await all({ filter: { startDate: new Date(Date.now() + 60_000) } })).toEqual([]);
      expect((await all({ filter: { startDate: new Date(0) } })).length).toBe(6);
      // Times far outside any id still answer (not a bigint out of range).
      expect((await api("GET", "/requests/logs?end_date=9999-12-31T00:00:00Z&page_size=1")).status).toBe(200);
      expect((await all({ filter: { startDate: started } })).length).toBe(6);
      expect(await all({ filter: { resources: "employees" } })).toEqual([]);
      expect(await all({ filter: { sourceTypes: "DASHBOARD" } })).toEqual([]);
      expect(await all({ filter: { providers: "sandbox-hris" } })).toHaveLength(2);
    });

    it("orders by duration or status either way and pages with the next cursor, each row once", async () => {
      const everything = await all();
      const byDuration = await all({
        orderBy: "duration" as never,
        orderDirection: "asc" as never,
        pageSize: 2,
      });
      expect(byDuration.map((l) => l.requestId).sort()).toEqual(everything.map((l) => l.requestId).sort());
      const durations = byDuration.map((l) => l.duration!);
      expect(durations).toEqual([...durations].sort((a, b) => a - b));
      const byStatus = await all({
        orderBy: "status" as never,
        orderDirection: "desc" as never,
        pageSize: 3,
      });
      expect(byStatus).toHaveLength(everything.length);
      const statuses = byStatus.map((l) => l.status!);
      expect(statuses).toEqual([...statuses].sort((a, b) => b - a));
      const byProvider = await all({ orderBy: "provider" as never, pageSize: 1 });
      expect(new Set(byProvider.map((l) => l.requestId)).size).toBe(everything.length);
    });

    it("gets one entry, and keeps every project's log to itself", async () => {
      const [latest] = await all();
      const one = (await sdkFor(s.url, s.apiKey).requestLogs.getLog({ id: latest!.requestId! }))
        .unifiedLogResult!;
      expect(one.data.requestId).toBe(latest!.requestId);
      expect(one.data.request?.url?.path).toBe(latest!.path);
      expect(one.data.response?.statusCode).toBe(latest!.status);
      expect(one.data.request?.body).toBeNull();
      const other = await s.ctx.tenancy.createProject({ name: "Other" });
      const otherKey = (await s.ctx.tenancy.createApiKey(other.project_id)).api_key;
      const err = await thrown(sdkFor(s.url, otherKey).requestLogs.getLog({ id: latest!.requestId! }));
      expect(err).toBeInstanceOf(errors.NotFoundResponse);
      await s.ctx.history.flush();
      const theirs = (await sdkFor(s.url, otherKey).requestLogs.listLogs({})).unifiedLogsPaginated!.data;
      expect(theirs.every((l) => l.projectId === other.project_id)).toBe(true);
      expect(theirs.some((l) => l.requestId === latest!.requestId)).toBe(false);
    });

    it("refuses a foreign cursor and a bad status code with a 400 naming the parameter", async () => {
      const so = sdkFor(s.url, s.apiKey);
      const page = (await so.requestLogs.listLogs({ pageSize: 1 })).unifiedLogsPaginated!;
      const wrong = await thrown(
        so.requestLogs.listLogs({ next: page.next!, orderBy: "duration" as never, pageSize: 1 }),
      );
      expect(wrong).toBeInstanceOf(errors.BadRequestResponse);
      expect((wrong as errors.BadRequestResponse).message).toMatch(/^next: /);
      const res = await api("GET", "/requests/logs?status_codes=abc");
      expect(res.status).toBe(400);
      expect((await res.json()).message).toBe("status_codes: abc is not an HTTP status code");
      expect((await api("GET", "/requests/logs?page_size=0")).status).toBe(400);
    });
  });
}
