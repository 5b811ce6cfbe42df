import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import * as errors from "@stackone/stackone-client-ts/sdk/models/errors/index.js";
import { Method } from "@stackone/stackone-client-ts/sdk/models/shared/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, hubFetch, linkSandboxHris } from "../helpers/hub.js";
import { freePort } from "../helpers/processes.js";
import { sdkFor, thrown } from "../helpers/sdk.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";
import { API_KEY, startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * `POST /unified/proxy` (stackone-api.md section 2.4) against a real provider API on 127.0.0.1:
 * what reaches the provider, what comes back, the same-origin rule for `url`, account scoping,
 * and how upstream failures surface (408 slow, 502 unreachable).
 */
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PROXY_TIMEOUT_MS = 500;

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`proxy on ${dialect}`, () => {
    let s: TestServer;
    let tp: ThirdParty;
    let accountId: string;
    let downPort: number;

    /** Links an account through the hub API, as an end user would. */
    const link = async (
      integration: string,
      apiKey = s.apiKey,
      owner = `owner-${Math.random().toString(36).slice(2)}`,
    ) => {
      const session = await createSession(
        s,
        { origin_owner_id: owner, origin_owner_name: "Proxy Co" },
        apiKey,
      );
      const res = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: { integration_id: integration, credentials: { api_key: API_KEY } },
      });
      if (res.status !== 201) throw new Error(`link failed: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { id: string }).id;
    };

    const proxy = (account: string | null, body: unknown, apiKey = s.apiKey, route = "/unified/proxy") => {
      const headers: Record<string, string> = {
        authorization: basic(apiKey),
        "content-type": "application/json",
      };
      if (account !== null) headers["x-account-id"] = account;
      return fetch(`${s.url}${route}`, { method: "POST", headers, body: JSON.stringify(body) });
    };

    /** A 2xx proxy answer: StackOne's ProxyResponseApiModel, as JSON. */
    const model = async (res: Response) => {
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = (await res.json()) as { status: number; headers: Record<string, unknown>; data: unknown };
      expect(Object.keys(body).sort()).toEqual(["data", "headers", "status"]);
      return body;
    };

    const expectErrorBody = async (res: Response, status: number, message: RegExp) => {
      expect(res.status).toBe(status);
      const body = (await res.json()) as { statusCode: number; message: string; timestamp: string };
      expect(body.statusCode).toBe(status);
      expect(body.message).toMatch(message);
      expect(body.timestamp).toMatch(ISO);
      return body;
    };

    beforeAll(async () => {
      tp = await startThirdParty([]);
      // A provider on a port of its own, up only while an account is linked (verification must
      // pass), then gone: proxied calls must fail to connect.
      downPort = await freePort();
      fs.writeFileSync(
        path.join(tp.catalogDir, "test-down.yaml"),
        `key: test-down
name: Test Down
categories: [hris]
logo: test.svg
docs: http://127.0.0.1:${downPort}/docs
sources: [http://127.0.0.1:${downPort}/docs]
auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: http://127.0.0.1:${downPort}/api
  inject: { headers: { X-Api-Key: "{{api_key}}" } }
verify: { path: /me }
`,
      );
      s = await startTestServer(dialect, {
        PORTICO_CATALOG_DIRS: tp.catalogDir,
        PORTICO_PROXY_TIMEOUT_MS: String(PROXY_TIMEOUT_MS),
      });
      await s.ctx.integrations.enable(s.projectId, "test-key");
      await s.ctx.integrations.enable(s.projectId, "test-down");
      accountId = await link("test-key");
    });
    afterAll(async () => {
      await s?.close();
      await tp?.close();
    });

    it("forwards method, path with query, JSON body and caller headers; injects the key; drops the caller's authorization", async () => {
      const before = tp.apiCalls.length;
      const res = await proxy(accountId, {
        method: "post",
        path: "/contacts?limit=5&tag=a%20b",
        headers: {
          "X-Custom": "hello",
          "x-number": 42,
          authorization: "Bearer caller-secret",
          cookie: "session=caller",
        },
        body: { name: "Grace", tags: ["x", "y"] },
      });
      expect(res.status).toBe(201);
      const answer = await model(res);
      expect(answer.status).toBe(201);
      expect(answer.headers["x-provider"]).toBe("test");
      expect(answer.headers["content-type"]).toMatch(/^application\/json/);
      expect(answer.data).toEqual({
        path: "/api/contacts?limit=5&tag=a+b",
        method: "POST",
        contacts: [{ id: "c1", name: "Ada" }],
      });

      expect(tp.apiCalls.length).toBe(before + 1);
      const call = tp.apiCalls.at(-1)!;
      expect(call.method).toBe("POST");
      expect(call.url).toBe("/api/contacts?limit=5&tag=a+b");
      expect(JSON.parse(call.body)).toEqual({ name: "Grace", tags: ["x", "y"] });
      expect(call.headers["x-api-key"]).toBe(API_KEY);
      expect(call.headers["x-custom"]).toBe("hello");
      expect(call.headers["x-number"]).toBe("42");
      expect(call.headers["content-type"]).toMatch(/^application\/json/);
      expect(call.headers.authorization).toBeUndefined();
      expect(call.headers.cookie).toBeUndefined();
      expect(call.headers["x-account-id"]).toBeUndefined();
    });

    it("defaults to GET, sends no body on GET, and returns the provider's 200 in the model", async () => {
      const res = await proxy(accountId, { path: "/contacts", body: { ignored: true } });
      expect(res.status).toBe(200);
      const answer = await model(res);
      expect(answer).toMatchObject({ status: 200, data: { path: "/api/contacts", method: "GET" } });
      expect(answer.headers["x-provider"]).toBe("test");
      const call = tp.apiCalls.at(-1)!;
      expect(call.method).toBe("GET");
      expect(call.headers["content-length"] ?? "0").toBe("0");
      expect(call.headers["content-type"]).toBeUndefined();
    });

    it("refuses a url on another host or port with 403, and accepts one on the provider's own origin", async () => {
      const before = tp.apiCalls.length;
      const other = new URL(tp.apiUrl);
      for (const url of [
        tp.asUrl, // same host, another port (the authorization server)
        `http://localhost:${other.port}/api`, // same port, another host name
        `https://127.0.0.1:${other.port}/api`, // another scheme
        // Another loopback address: even a broken check would stay on this machine.
        `http://127.0.0.2:${other.port}/api`,
      ]) {
        const res = await proxy(accountId, { url, path: "/contacts" });
        const body = await expectErrorBody(res, 403, /^url: the proxy only reaches this account's provider/);
        expect(Object.keys(body).sort()).toEqual(["message", "statusCode", "timestamp"]);
      }
      expect(tp.apiCalls.length).toBe(before);

      const ok = await proxy(accountId, { url: `${tp.apiUrl}/api/v2/`, path: "/contacts?x=1" });
      expect(ok.status).toBe(200);
      expect((await model(ok)).data).toMatchObject({ path: "/api/v2/contacts?x=1" });
      expect(tp.apiCalls.at(-1)!.headers["x-api-key"]).toBe(API_KEY);
    });

    it("answers 400 naming x-account-id when it is missing, 404 for an unknown account", async () => {
      await expectErrorBody(await proxy(null, { path: "/contacts" }), 400, /x-account-id/);
      await expectErrorBody(
        await proxy(accountId, { path: "/contacts", headers: { "bad name": "v" } }),
        400,
        /^headers\.bad name: not a valid header name$/,
      );
      await expectErrorBody(
        await proxy(accountId, { path: "/contacts", headers: { "x-a": "b\r\nx-inject: 1" } }),
        400,
        /^headers\.x-a: must not contain line breaks or NUL$/,
      );
      await expectErrorBody(
        await proxy("acc_does_not_exist", { path: "/contacts" }),
        404,
        /^x-account-id: account acc_does_not_exist not found$/,
      );
    });

    it("answers 404 for another project's account, which works for that project", async () => {
      const other = await s.ctx.tenancy.createProject({ name: "Other" });
      const key = (await s.ctx.tenancy.createApiKey(other.project_id)).api_key;
      await s.ctx.integrations.enable(other.project_id, "test-key");
      const foreign = await link("test-key", key);
      const before = tp.apiCalls.length;
      await expectErrorBody(await proxy(foreign, { path: "/contacts" }), 404, /not found/);
      expect(tp.apiCalls.length).toBe(before);
      // And the reverse: the other project cannot use this project's account.
      await expectErrorBody(await proxy(accountId, { path: "/contacts" }, key), 404, /not found/);
      expect(tp.apiCalls.length).toBe(before);
      // The foreign account is real: its own project reaches the provider with it.
      expect((await proxy(foreign, { path: "/contacts" }, key)).status).toBe(200);
      expect(tp.apiCalls.length).toBe(before + 1);
    });

    it("answers 408 when the provider is slower than PORTICO_PROXY_TIMEOUT_MS", async () => {
      tp.setApiDelay(1500);
      try {
        const started = Date.now();
        const res = await proxy(accountId, { path: "/contacts" });
        const elapsed = Date.now() - started;
        await expectErrorBody(res, 408, /did not answer in time/);
        expect(elapsed).toBeGreaterThanOrEqual(PROXY_TIMEOUT_MS - 50);
        expect(elapsed).toBeLessThan(1400);
      } finally {
        tp.setApiDelay(0);
      }
      // Let the abandoned provider request finish before the next test counts calls.
      await new Promise((r) => setTimeout(r, 1200));
      expect((await proxy(accountId, { path: "/contacts" })).status).toBe(200);
    });

    it("answers 502 when the provider cannot be reached", async () => {
      const seen: string[] = [];
      const provider = http.createServer((req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
      await new Promise<void>((r) => provider.listen(downPort, "127.0.0.1", () => r()));
      let down: string;
      try {
        down = await link("test-down");
      } finally {
        provider.closeAllConnections();
        await new Promise((r) => provider.close(r));
      }
      expect(seen).toEqual(["GET /api/me"]);
      const body = (await expectErrorBody(
        await proxy(down, { path: "/contacts" }),
        502,
        new RegExp(`the provider at 127\\.0\\.0\\.1:${downPort} could not be reached`),
      )) as unknown as { provider_errors: { status: null; url: string }[] };
      // StackOne's BadGateway body: which provider URL failed, for the caller's logs.
      expect(body.provider_errors).toEqual([
        {
          status: null,
          url: `http://127.0.0.1:${downPort}/api/contacts`,
          raw: { code: "ECONNREFUSED" },
          headers: null,
        },
      ]);
    });

    it("reaches the in-process sandbox providers: Sandbox HRIS employees", async () => {
      const session = await createSession(s, {
        origin_owner_id: "sandbox-1",
        origin_owner_name: "Sandbox Co",
      });
      const hris = await linkSandboxHris(s, session.token);
      const res = await proxy(hris, { path: "/employees?per_page=3&page=2" });
      expect(res.status).toBe(200);
      const body = (await model(res)).data as { data: { id: string }[]; page: number; total: number };
      expect(body.page).toBe(2);
      expect(body.total).toBe(24);
      expect(body.data.map((e) => e.id)).toEqual(["emp_004", "emp_005", "emp_006"]);
      const one = await proxy(hris, { path: "/employees/emp_001" });
      expect(one.status).toBe(200);
      expect((await model(one)).data).toMatchObject({ data: { id: "emp_001", first_name: "Ada" } });
      // The sandbox's own 404 keeps its status, in StackOne's error shape, its body in raw.
      const missing = await proxy(hris, { path: "/employees/emp_999" });
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({
        statusCode: 404,
        message: "No such employee",
        timestamp: expect.stringMatching(ISO),
        provider_errors: [{ status: 404, raw: { error: "not_found", message: "No such employee" } }],
      });
    });

    it("works with the official SDK's proxy.proxyRequest", async () => {
      const so = sdkFor(s.url, s.apiKey);
      const res = await so.proxy.proxyRequest({
        xAccountId: accountId,
        proxyRequestBody: { method: Method.Get, path: "/contacts?from=sdk", headers: { "x-from": "sdk" } },
      });
      expect(res.statusCode).toBe(200);
      expect(res.contentType).toMatch(/^application\/json/);
      // SDK 4.28 consumes the raw body while matching the status (M.nil) and takes any body, so
      // what the provider answered is checked on the provider's side.
      expect(res.rawResponse.status).toBe(200);
      const call = tp.apiCalls.at(-1)!;
      expect(call.url).toBe("/api/contacts?from=sdk");
      expect(call.headers["x-from"]).toBe("sdk");
      expect(call.headers["x-api-key"]).toBe(API_KEY);

      const created = await so.proxy.proxyRequest({
        xAccountId: accountId,
        proxyRequestBody: { method: Method.Post, path: "/contacts", body: { name: "Linus" } },
      });
      expect(created.statusCode).toBe(201);
      expect(tp.apiCalls.at(-1)!).toMatchObject({ method: "POST", url: "/api/contacts" });
      expect(JSON.parse(tp.apiCalls.at(-1)!.body)).toEqual({ name: "Linus" });

      // Portico's own refusals map to the SDK's typed errors.
      const forbidden = await thrown(
        so.proxy.proxyRequest({ xAccountId: accountId, proxyRequestBody: { url: tp.asUrl, path: "/x" } }),
      );
      expect(forbidden).toBeInstanceOf(errors.ForbiddenResponse);
      expect((forbidden as errors.ForbiddenResponse).data$.message).toMatch(/^url:/);
      const missing = await thrown(
        so.proxy.proxyRequest({ xAccountId: "acc_nope", proxyRequestBody: { path: "/contacts" } }),
      );
      expect(missing).toBeInstanceOf(errors.NotFoundResponse);

      // A provider's own error answers become the SDK's typed errors too, whatever their body.
      const notFound = await thrown(
        so.proxy.proxyRequest({ xAccountId: accountId, proxyRequestBody: { path: "/fail/404" } }),
      );
      expect(notFound).toBeInstanceOf(errors.NotFoundResponse);
      expect((notFound as errors.NotFoundResponse).data$.message).toBe("No such contact");
      const text = await thrown(
        so.proxy.proxyRequest({ xAccountId: accountId, proxyRequestBody: { path: "/fail/500?kind=text" } }),
      );
      expect(text).toBeInstanceOf(errors.InternalServerErrorResponse);
      const array = await thrown(
        so.proxy.proxyRequest({ xAccountId: accountId, proxyRequestBody: { path: "/fail/422?kind=array" } }),
      );
      expect(array).toBeInstanceOf(errors.UnprocessableEntityResponse);
      // 400 is the SDK's strictest schema (typed `data` and `provider_errors`).
      for (const kind of ["text", "array", "json"]) {
        const bad = await thrown(
          so.proxy.proxyRequest({
            xAccountId: accountId,
            proxyRequestBody: { path: `/fail/400?kind=${kind}` },
          }),
        );
        expect(bad).toBeInstanceOf(errors.BadRequestResponse);
      }
    });

    it("answers every successful provider body in StackOne's ProxyResponseApiModel", async () => {
      const shape = async (kind: string) => {
        const res = await proxy(accountId, { path: `/shape/${kind}` });
        return { http: res.status, ...(await model(res)) };
      };
      // The provider's JSON when the model takes it: an object, an array of objects, a scalar.
      expect(await shape("objects")).toMatchObject({ http: 200, status: 200, data: [{ id: 1 }, { id: 2 }] });
      expect(await shape("string")).toMatchObject({ status: 200, data: "hello" });
      expect(await shape("number")).toMatchObject({ status: 200, data: 42 });
      expect(await shape("boolean")).toMatchObject({ status: 200, data: false });
      expect(await shape("null")).toMatchObject({ status: 200, data: null });
      // Its text otherwise: JSON the model does not take, CSV, HTML.
      expect(await shape("scalars")).toMatchObject({ status: 200, data: "[1,2,3]" });
      expect(await shape("mixed")).toMatchObject({ status: 200, data: '[{"id":1},2]' });
      const csv = await shape("text");
      expect(csv).toMatchObject({ status: 200, data: "id,name\n1,Ada\n" });
      expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
      expect(await shape("html")).toMatchObject({ data: "<p>hi</p>" });
      // Nothing: null. A 204 still gives the client a body to parse, so the HTTP status is 200.
      expect(await shape("empty")).toMatchObject({ http: 200, status: 200, data: null });
      expect(await shape("no-content")).toMatchObject({ http: 200, status: 204, data: null });
      expect(await shape("accepted")).toMatchObject({ http: 202, status: 202, data: { queued: true } });
      expect(await shape("partial")).toMatchObject({ http: 200, status: 206, data: "abc" });
      expect(await shape("redirect")).toMatchObject({
        http: 200,
        status: 302,
        headers: { location: "https://example.invalid/elsewhere" },
      });
      // A compressed body is decoded; bytes that are not text come as base64.
      const zipped = await shape("gzip");
      expect(zipped.data).toEqual({ zipped: true });
      expect(zipped.headers).not.toHaveProperty("content-encoding");
      const png = await shape("binary");
      expect(png.data).toBe(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]).toString("base64"));
      expect(png.headers["content-type"]).toBe("image/png");
    });

    it("answers the provider's own status, headers and bytes on /portico/v1/proxy/raw", async () => {
      const raw = (body: unknown) => proxy(accountId, body, s.apiKey, "/portico/v1/proxy/raw");
      const created = await raw({ method: "post", path: "/contacts", body: { name: "Raw" } });
      expect(created.status).toBe(201);
      expect(created.headers.get("x-provider")).toBe("test");
      expect(await created.json()).toMatchObject({ path: "/api/contacts", method: "POST" });
      const png = await raw({ path: "/shape/binary" });
      expect(png.status).toBe(200);
      expect(png.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await png.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]));
      expect((await raw({ path: "/shape/no-content" })).status).toBe(204);
      // Errors are StackOne's, as on /unified/proxy; so are Portico's own refusals.
      await expectErrorBody(await raw({ path: "/fail/404" }), 404, /^No such contact$/);
      await expectErrorBody(
        await proxy("acc_nope", { path: "/contacts" }, s.apiKey, "/portico/v1/proxy/raw"),
        404,
        /x-account-id/,
      );
      await expectErrorBody(
        await proxy(accountId, { path: "/contacts" }, "sk_wrong", "/portico/v1/proxy/raw"),
        401,
        /^Unauthorized$/,
      );
    });

    it("keeps a provider error's status and body, in the StackOne error shape", async () => {
      const object = await proxy(accountId, { path: "/fail/404" });
      expect(object.status).toBe(404);
      expect(object.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await object.json()).toEqual({
        statusCode: 404,
        message: "No such contact",
        timestamp: expect.stringMatching(ISO),
        provider_errors: [
          {
            status: 404,
            url: expect.stringMatching(/\/api\/fail\/404$/),
            raw: { error: "not_found", message: "No such contact", detail: { id: 7 } },
            headers: { "content-type": expect.stringMatching(/^application\/json/) },
          },
        ],
      });
      const text = await proxy(accountId, { path: "/fail/503?kind=text" });
      expect(text.status).toBe(503);
      const body = await text.json();
      expect(body).toMatchObject({ statusCode: 503, message: "the provider answered HTTP 503" });
      expect(body.provider_errors).toEqual([
        {
          status: 503,
          url: expect.stringMatching(/\/api\/fail\/503$/),
          raw: { body: "upstream exploded" },
          headers: { "content-type": expect.stringMatching(/^text\/plain/) },
        },
      ]);
      const array = await proxy(accountId, { path: "/fail/400?kind=array" });
      expect((await array.json()).provider_errors[0].raw).toEqual({
        body: [{ field: "name", error: "required" }],
      });
    });
  });
}
