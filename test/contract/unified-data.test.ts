import * as errors from "@stackone/stackone-client-ts/sdk/models/errors/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { sdkFor, thrown } from "../helpers/sdk.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * StackOne's unified data APIs are out of Portico's scope. A StackOne user calling them through the
 * official SDK gets the SDK's typed 501 error whose message says so and names the proxy, never a
 * framework 404.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(
    `unified data routes answer 501 naming the proxy on ${dialect}`,
    () => {
      let s: TestServer;
      beforeAll(async () => {
        s = await startTestServer(dialect);
      });
      afterAll(() => s?.close());

      it("gives hris.listEmployees a NotImplementedResponse whose message names POST /unified/proxy", async () => {
        const so = sdkFor(s.url, s.apiKey);
        const err = await thrown(so.hris.listEmployees({ xAccountId: "acc_any" }));
        expect(err).toBeInstanceOf(errors.NotImplementedResponse);
        const e = err as errors.NotImplementedResponse;
        expect(e.statusCode).toBe(501);
        expect(e.message).toMatch(/^Portico serves no unified data models: GET \/unified\/hris\/employees /);
        expect(e.message).toContain("POST /unified/proxy");
        expect(e.message).toContain("x-account-id");
        expect(e.timestamp).toBeInstanceOf(Date);
      });

      it("answers every category, method and body alike, before reading the body", async () => {
        const so = sdkFor(s.url, s.apiKey);
        const ats = await thrown(so.ats.listJobs({ xAccountId: "acc_any" }));
        expect(ats).toBeInstanceOf(errors.NotImplementedResponse);
        expect(ats.message).toContain("GET /unified/ats/jobs is StackOne's unified ats API");

        for (const [method, path, body, type] of [
          ["POST", "/unified/crm/contacts", '{"first_name":"Ada"}', "application/json"],
          ["PATCH", "/unified/ticketing/tickets/t1", "{", "application/json"],
          ["POST", "/unified/documents/files/upload", "--x\r\n\r\n--x--", "multipart/form-data; boundary=x"],
          ["DELETE", "/unified/scheduling/bookings/1", undefined, undefined],
          ["GET", "/unified/file-storage/files?page_size=5", undefined, undefined],
          ["GET", "/unified/hris", undefined, undefined],
          ["POST", "/actions/rpc", '{"action":"x"}', "application/json"],
          ["POST", "/mcp", "{}", "application/json"],
        ] as const) {
          const res = await fetch(`${s.url}${path}`, {
            method,
            headers: { authorization: basic(s.apiKey), ...(type ? { "content-type": type } : {}) },
            body,
          });
          expect(res.status, `${method} ${path}`).toBe(501);
          expect(res.headers.get("content-type")).toMatch(/^application\/json/);
          const json = (await res.json()) as { statusCode: number; message: string; timestamp: string };
          expect(json.statusCode).toBe(501);
          expect(json.message, `${method} ${path}`).toContain(`${method} ${path.split("?")[0]}`);
          expect(json.message).toContain("POST /unified/proxy");
          expect(new Date(json.timestamp).toISOString()).toBe(json.timestamp);
        }
      });

      it("checks the API key first, and leaves the proxy and unknown routes as they were", async () => {
        const anonymous = await fetch(`${s.url}/unified/hris/employees`);
        expect(anonymous.status).toBe(401);
        expect(((await anonymous.json()) as { message: string }).message).toBe("Unauthorized");

        const wrongMethod = await fetch(`${s.url}/unified/proxy`, {
          headers: { authorization: basic(s.apiKey) },
        });
        expect(wrongMethod.status).toBe(404);
        const proxy = await fetch(`${s.url}/unified/proxy`, {
          method: "POST",
          headers: {
            authorization: basic(s.apiKey),
            "content-type": "application/json",
            "x-account-id": "acc_none",
          },
          body: '{"path":"/me"}',
        });
        expect(proxy.status).toBe(404);
        expect(((await proxy.json()) as { message: string }).message).not.toContain("unified data");

        const unknown = await fetch(`${s.url}/unified/nothing-here`, {
          headers: { authorization: basic(s.apiKey) },
        });
        expect(unknown.status).toBe(404);
      });

      it("keeps these routes out of the OpenAPI document", async () => {
        const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as {
          paths: Record<string, unknown>;
        };
        expect(Object.keys(doc.paths).filter((p) => /^\/(unified\/(?!proxy)|actions|mcp)/.test(p))).toEqual(
          [],
        );
      });
    },
  );
}
