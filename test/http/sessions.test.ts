import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** Raw HTTP: what the SDK cannot carry (metadata contents, odd auth forms, broken bodies). */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`connect sessions over HTTP on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect);
    });
    afterAll(() => s?.close());

    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${s.url}${path}`, {
        method: "POST",
        headers: { authorization: basic(s.apiKey), "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      });

    const rows = async () => {
      const r = await s.ctx.database.db
        .selectFrom("connect_sessions")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    };

    async function expectError(res: Response, status: number, message: RegExp) {
      expect(res.status).toBe(status);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const body = await res.json();
      expect(typeof body.statusCode).toBe("number");
      expect(body.statusCode).toBe(status);
      expect(typeof body.message).toBe("string");
      expect(body.message).toMatch(message);
      expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      return body;
    }

    it("creates a session and echoes metadata and every field", async () => {
      const res = await post("/connect_sessions", {
        origin_owner_id: "cust-1",
        origin_owner_name: "Acme",
        origin_username: "jane",
        categories: ["hris", "hris-legacy", "ats"],
        provider_version: "1.0.0",
        label: "Main HRIS",
        metadata: { plan: "pro", seats: 12, nested: { a: [1, 2] } },
        expires_in: 3600,
        multiple: true,
        type: "test",
        unknown_field: "ignored",
      });
      expect(res.status).toBe(201);
      const body = await res.json();
      expect(body).toMatchObject({
        // Raw HTTP gets the newest contract (stackone-api.md section 8): a numeric string.
        organization_id: String(s.organizationId),
        project_id: s.projectId,
        origin_owner_id: "cust-1",
        origin_owner_name: "Acme",
        origin_username: "jane",
        categories: ["hris", "hris-legacy", "ats"],
        label: "Main HRIS",
        metadata: { plan: "pro", seats: 12, nested: { a: [1, 2] } },
        expires_in: 3600,
        multiple: true,
        type: "test",
      });
      expect(typeof body.id).toBe("number");
      expect(body.created_at).toMatch(/Z$/);
      expect(body.auth_link_url).toBe(`${s.config.publicUrl}/embedded/integrations?token=${body.token}`);
      expect(body).not.toHaveProperty("unknown_field");
      expect(body).not.toHaveProperty("provider_version");
    });

    it("accepts a Basic value without the colon", async () => {
      const res = await post(
        "/connect_sessions",
        { origin_owner_id: "o", origin_owner_name: "n" },
        { authorization: `Basic ${Buffer.from(s.apiKey).toString("base64")}` },
      );
      expect(res.status).toBe(201);
    });

    it("answers 401 with StackOne's body for a missing, unknown or malformed key", async () => {
      const before = await rows();
      for (const authorization of [undefined, basic("sk_not-a-key"), basic(""), "Bearer x", "Basic !!!"]) {
        const headers: Record<string, string> = { "content-type": "application/json" };
        if (authorization) headers.authorization = authorization;
        const res = await fetch(`${s.url}/connect_sessions`, {
          method: "POST",
          headers,
          body: JSON.stringify({ origin_owner_id: "o", origin_owner_name: "n" }),
        });
        const body = await expectError(res, 401, /^Unauthorized$/);
        expect(Object.keys(body).sort()).toEqual(["message", "statusCode", "timestamp"]);
      }
      expect(await rows()).toBe(before);
    });

    it("names the field for each invalid input and writes nothing", async () => {
      const before = await rows();
      const cases: [unknown, RegExp][] = [
        [{ origin_owner_name: "n" }, /origin_owner_id: is required/],
        [{ origin_owner_id: "", origin_owner_name: "n" }, /origin_owner_id: must not be empty/],
        [{ origin_owner_id: "   ", origin_owner_name: "n" }, /origin_owner_id: must not be blank/],
        [{ origin_owner_id: "o" }, /origin_owner_name: is required/],
        [
          { origin_owner_id: "x".repeat(256), origin_owner_name: "n" },
          /origin_owner_id: must be at most 255/,
        ],
        [
          { origin_owner_id: "o", origin_owner_name: "n", categories: ["hrisLegacy"] },
          /categories\.0: must be one of/,
        ],
        [
          { origin_owner_id: "o", origin_owner_name: "n", categories: ["hris", "future-cat"] },
          /^categories\.1: must be one of "ats", .*"scheduling"/,
        ],
        [{ origin_owner_id: "o", origin_owner_name: "n", expires_in: 5 }, /expires_in: must be >= 60/],
        [
          { origin_owner_id: "o", origin_owner_name: "n", expires_in: 2_592_001 },
          /expires_in: must be <= 2592000/,
        ],
        [{ origin_owner_id: "o", origin_owner_name: "n", expires_in: "60" }, /expires_in: must be a number/],
        [{ origin_owner_id: "o", origin_owner_name: "n", metadata: [1] }, /metadata: must be a JSON object/],
        [
          { origin_owner_id: "o", origin_owner_name: "n", metadata: { big: "x".repeat(17_000) } },
          /metadata: must be at most 16384 bytes/,
        ],
        [
          { origin_owner_id: "o", origin_owner_name: "n", type: "staging" },
          /type: must be one of "production", "test"/,
        ],
        [{ origin_owner_id: "o", origin_owner_name: "n", multiple: "yes" }, /multiple: must be a boolean/],
        [
          { origin_owner_id: "o", origin_owner_name: "n", provider: "not-a-provider" },
          /provider: "not-a-provider" is not in the catalog/,
        ],
        [
          {
            origin_owner_id: "o",
            origin_owner_name: "n",
            provider: "sandbox-hris",
            categories: ["ats", "crm"],
          },
          /^categories: sandbox-hris is in none of ats, crm \(it is hris\)$/,
        ],
        [[1, 2], /body: must be a JSON object/],
        // One clause per field, however many of its checks fail.
        [{ origin_owner_id: "", origin_owner_name: "n" }, /^origin_owner_id: must not be empty$/],
        [
          { origin_owner_id: "o", origin_owner_name: "n", expires_in: 1e308 },
          /^expires_in: must be <= 2592000$/,
        ],
      ];
      for (const [body, message] of cases)
        await expectError(await post("/connect_sessions", body), 400, message);
      expect(await rows()).toBe(before);
    });

    it("refuses an account_id with another provider, or outside the session's categories", async () => {
      const session = await createSession(s, { origin_owner_id: "mismatch", origin_owner_name: "M" });
      const accountId = await linkSandboxHris(s, session.token);
      const before = await rows();
      const base = { origin_owner_id: "mismatch", origin_owner_name: "M", account_id: accountId };
      await expectError(
        await post("/connect_sessions", { ...base, provider: "sandbox-ats" }),
        400,
        new RegExp(`^provider: account ${accountId} is a sandbox-hris account, not sandbox-ats$`),
      );
      await expectError(
        await post("/connect_sessions", { ...base, categories: ["ats"] }),
        400,
        /^categories: sandbox-hris is in none of ats/,
      );
      expect(await rows()).toBe(before);
      const ok = await post("/connect_sessions", {
        ...base,
        provider: "sandbox-hris",
        categories: ["hris", "ats"],
      });
      expect(ok.status).toBe(201);
    });

    it("refuses malformed JSON, an empty body, oversized bodies and other content types", async () => {
      const before = await rows();
      await expectError(await post("/connect_sessions", "{bad"), 400, /Malformed JSON/);
      await expectError(await post("/connect_sessions", ""), 400, /body/);
      // Deep nesting well under the size limit, and keys that reach for a prototype.
      const deep = `{"origin_owner_id":"o","origin_owner_name":"n","metadata":{"a":${"[".repeat(5000)}${"]".repeat(5000)}}}`;
      await expectError(await post("/connect_sessions", deep), 400, /^body: JSON nested deeper than/);
      await expectError(
        await post(
          "/connect_sessions",
          '{"origin_owner_id":"o","origin_owner_name":"n","metadata":{"__proto__":{"x":1}}}',
        ),
        400,
        /^metadata\.__proto__: this key is not allowed$/,
      );
      const huge = JSON.stringify({
        origin_owner_id: "o",
        origin_owner_name: "n",
        metadata: { x: "y".repeat(1024 * 1024) },
      });
      await expectError(await post("/connect_sessions", huge), 413, /too large/);
      await expectError(
        await post("/connect_sessions", "origin_owner_id=o", {
          "content-type": "application/x-www-form-urlencoded",
        }),
        415,
        /Unsupported Media Type/,
      );
      await expectError(
        await post("/connect_sessions", "{}", { "content-type": "text/plain" }),
        415,
        /Unsupported/,
      );
      expect(await rows()).toBe(before);
    });

    it("answers 404 with the StackOne body for an unknown route and an unknown account_id", async () => {
      await expectError(await fetch(`${s.url}/nowhere`), 404, /GET \/nowhere not found/);
      await expectError(
        await post("/connect_sessions", {
          origin_owner_id: "o",
          origin_owner_name: "n",
          account_id: "acc_nope",
        }),
        404,
        /account_id/,
      );
    });

    it("authenticates a token for its project, and nobody else's", async () => {
      const created = await (
        await post("/connect_sessions", { origin_owner_id: "o", origin_owner_name: "n" })
      ).json();
      const res = await post("/connect_sessions/authenticate", { token: created.token });
      expect(res.status).toBe(201);
      const session = await res.json();
      expect(session.id).toBe(created.id);
      expect(session).not.toHaveProperty("token");

      const other = await s.ctx.tenancy.createProject({ name: "B" });
      const otherKey = await s.ctx.tenancy.createApiKey(other.project_id);
      const cross = await post(
        "/connect_sessions/authenticate",
        { token: created.token },
        { authorization: basic(otherKey.api_key) },
      );
      const unknown = await post("/connect_sessions/authenticate", { token: "cst_unknown" });
      const a = await expectError(cross, 400, /invalid or expired/);
      const b = await expectError(unknown, 400, /invalid or expired/);
      expect(a.message).toBe(b.message);
      await expectError(await post("/connect_sessions/authenticate", {}), 400, /token: is required/);
    });

    it("refuses an expired token", async () => {
      const created = await (
        await post("/connect_sessions", { origin_owner_id: "o", origin_owner_name: "n", expires_in: 60 })
      ).json();
      await s.ctx.database.db
        .updateTable("connect_sessions")
        .set({ expires_at: Date.now() - 1 })
        .where("id", "=", created.id)
        .execute();
      await expectError(
        await post("/connect_sessions/authenticate", { token: created.token }),
        400,
        /invalid or expired/,
      );
    });

    it("serves OpenAPI 3.1 with StackOne's operationIds, docs, and health", async () => {
      const doc = await (await fetch(`${s.url}/openapi.json`)).json();
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.paths["/connect_sessions"].post.operationId).toBe("stackone_create_connect_session");
      expect(doc.paths["/connect_sessions/authenticate"].post.operationId).toBe(
        "stackone_authenticate_connect_session",
      );
      expect((await fetch(`${s.url}/docs`)).status).toBeLessThan(400);
      expect(await (await fetch(`${s.url}/healthz`)).json()).toEqual({ status: "ok" });
      expect(await (await fetch(`${s.url}/readyz`)).json()).toEqual({ status: "ok", database: dialect });
    });
  });
}
