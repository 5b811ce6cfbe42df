import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  authLinkSchema,
  CLIENTS,
  type ClientSpec,
  connectorsMetaSchema,
  errorSchema,
  failures,
  linkedAccountMetaSchema,
  linkedAccountSchema,
  proxyResponseSchema,
  sessionSchema,
} from "../helpers/client-schemas.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";
import { API_KEY, startThirdParty, type ThirdParty } from "../helpers/third-party.js";

/**
 * One server, every StackOne client version at once (stackone-api.md section 8): each caller's
 * answers must pass its own client's schema (test/helpers/client-schemas.ts), chosen from its
 * user agent, or from a project's or a key's pinned wire profile.
 */

/** Raw HTTP with exactly these headers: fetch would add a user agent of its own. */
function call(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      url,
      {
        method,
        headers: {
          ...headers,
          ...(payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

const EVERY_CATEGORY = [
  "hris",
  "ats",
  "documents",
  "messaging",
  "accounting",
  "scheduling",
  "crm",
  "ticketing",
  "screening",
];

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`client versions on ${dialect}`, () => {
    let s: TestServer;
    let tp: ThirdParty;

    const as = (spec: Pick<ClientSpec, "userAgent">, apiKey = s.apiKey) => {
      const headers: Record<string, string> = { authorization: basic(apiKey), accept: "application/json" };
      if (spec.userAgent) headers["user-agent"] = spec.userAgent;
      return (method: string, route: string, body?: unknown, extra: Record<string, string> = {}) =>
        call(`${s.url}${route}`, method, { ...headers, ...extra }, body);
    };

    const expectValid = (schema: Parameters<typeof failures>[0], value: unknown, what: string) =>
      expect(failures(schema, value), what).toEqual([]);

    beforeAll(async () => {
      tp = await startThirdParty([]);
      // A provider only scheduling clients know: older PHP SDKs cannot parse its meta category.
      fs.writeFileSync(
        path.join(tp.catalogDir, "test-scheduling.yaml"),
        `key: test-scheduling
name: Test Scheduling
categories: [scheduling]
logo: test.svg
docs: ${tp.apiUrl}/docs
sources: [${tp.apiUrl}/docs]
auth:
  scheme: api_key
  fields: [{ key: api_key, label: API key, type: password }]
api:
  base_url: ${tp.apiUrl}/api
  inject: { headers: { X-Api-Key: "{{api_key}}" } }
verify: { path: /me }
`,
      );
      s = await startTestServer(dialect, { PORTICO_CATALOG_DIRS: tp.catalogDir });
      await s.ctx.integrations.enable(s.projectId, "test-key");
    });
    afterAll(async () => {
      await s?.close();
      await tp?.close();
    });

    for (const spec of CLIENTS) {
      it(`serves ${spec.name} answers its schema accepts, from session to proxy`, async () => {
        const client = as(spec);
        const owner = `owner-${spec.name.replace(/\W+/g, "-")}`;

        // Sessions: a number or a string organization_id, and only the categories it knows.
        const created = await client("POST", "/connect_sessions", {
          origin_owner_id: owner,
          origin_owner_name: "Acme",
          categories: EVERY_CATEGORY,
          integration_id: "sandbox-hris",
          metadata: { plan: "pro" },
        });
        expect(created.status).toBe(201);
        expectValid(authLinkSchema(spec), created.body, "create");
        const session = created.body as { token: string; categories?: string[]; organization_id: unknown };
        if (spec.sessionCategoriesReadable)
          expect(session.categories!.sort()).toEqual(
            EVERY_CATEGORY.flatMap((c) =>
              spec.sessionCategories.includes(c)
                ? [c]
                : c === "documents" && spec.sessionCategories.includes("file-storage")
                  ? ["file-storage"]
                  : [],
            ).sort(),
          );
        else expect(session).not.toHaveProperty("categories");
        const authenticated = await client("POST", "/connect_sessions/authenticate", {
          token: session.token,
        });
        expect(authenticated.status).toBe(201);
        expectValid(sessionSchema(spec), authenticated.body, "authenticate");
        expect((authenticated.body as { integration_id: string }).integration_id).toBe("sandbox-hris");

        // Accounts: list, get, update, meta.
        const accountId = await linkSandboxHris(s, session.token);
        const listed = await client("GET", `/accounts?origin_owner_id=${owner}`);
        expect(listed.status).toBe(200);
        expect(listed.body).toHaveLength(1);
        for (const a of listed.body as unknown[]) expectValid(linkedAccountSchema(spec), a, "list");
        const got = await client("GET", `/accounts/${accountId}`);
        expectValid(linkedAccountSchema(spec), got.body, "get");
        const patched = await client("PATCH", `/accounts/${accountId}`, {
          label: "Main",
          shared: true,
          integration_id: "sandbox-hris",
        });
        expect(patched.status).toBe(200);
        expectValid(linkedAccountSchema(spec), patched.body, "update");
        expect(patched.body).toMatchObject({ label: "Main", shared: true });
        const meta = await client("GET", `/accounts/${accountId}/meta`);
        expectValid(linkedAccountMetaSchema(spec), meta.body, "account meta");

        // Connectors meta: every entry parses; a closed enum never sees a category it lacks.
        const connectors = await client("GET", "/connectors/meta");
        expect(connectors.status).toBe(200);
        const list = connectors.body as { provider: string }[];
        for (const c of list) expectValid(connectorsMetaSchema(spec), c, `connector ${c.provider}`);
        const knowsScheduling = spec.metaCategories === "open" || spec.metaCategories.includes("scheduling");
        expect(list.some((c) => c.provider === "test-scheduling")).toBe(knowsScheduling);
        const one = await client("GET", "/connectors/meta/test-scheduling");
        if (knowsScheduling) expectValid(connectorsMetaSchema(spec), one.body, "connector meta");
        else {
          expect(one.status).toBe(409);
          expectValid(errorSchema, one.body, "connector meta refusal");
          expect((one.body as { message: string }).message).toMatch(
            /^category: test-scheduling is in scheduling/,
          );
        }

        // The proxy: a status the client takes, the body it parses; errors in StackOne's shape.
        const proxied = (body: unknown, extra: Record<string, string> = {}) =>
          client("POST", "/unified/proxy", body, { "x-account-id": accountId, ...extra });
        const ok = await proxied({ path: "/employees?per_page=2" }, { prefer: "heartbeat" });
        expect(spec.proxy.statuses).toContain(ok.status);
        if (spec.proxy.model) expectValid(proxyResponseSchema, ok.body, "proxy 200");
        expect(ok.body).toMatchObject({
          status: 200,
          data: { data: [{ id: "emp_001" }, { id: "emp_002" }] },
        });
        const missing = await proxied({ path: "/employees/emp_999" });
        expect(missing.status).toBe(404);
        expectValid(errorSchema, missing.body, "proxy 404");

        const deleted = await client("DELETE", `/accounts/${accountId}`);
        expect(deleted.status).toBe(200);
        expectValid(linkedAccountSchema(spec), deleted.body, "delete");
      });
    }

    it("answers a provider's 201 with 201 only to clients that take it", async () => {
      const session = await createSession(s, { origin_owner_id: "o-201", origin_owner_name: "n" });
      const res = await fetch(`${s.url}/hub/accounts`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-hub-session-token": session.token },
        body: JSON.stringify({ integration_id: "test-key", credentials: { api_key: API_KEY } }),
      });
      const accountId = ((await res.json()) as { id: string }).id;
      for (const spec of CLIENTS) {
        const created = await as(spec)(
          "POST",
          "/unified/proxy",
          { method: "post", path: "/contacts", body: { name: "x" } },
          { "x-account-id": accountId },
        );
        expect(created.status, spec.name).toBe(spec.proxy.statuses.includes(201) ? 201 : 200);
        expect(created.body, spec.name).toMatchObject({ status: 201 });
      }
    });

    it("validates each client's answer against the other clients' schemas, so the schemas tell them apart", async () => {
      const byName = (name: string) => CLIENTS.find((c) => c.name === name)!;
      const latest = byName("TS SDK 4.34.1");
      const old = byName("TS SDK 4.28.0");
      const body = { origin_owner_id: "cross", origin_owner_name: "n", categories: ["hris", "scheduling"] };
      const forLatest = (await as(latest)("POST", "/connect_sessions", body)).body;
      const forOld = (await as(old)("POST", "/connect_sessions", body)).body;
      expect(failures(authLinkSchema(latest), forLatest)).toEqual([]);
      expect(failures(authLinkSchema(old), forOld)).toEqual([]);
      // What one gets would break the other: organization_id's type, and scheduling.
      expect(failures(authLinkSchema(old), forLatest).join("\n")).toMatch(
        /organization_id[\s\S]*categories\.1/,
      );
      expect(failures(authLinkSchema(latest), forOld).join("\n")).toMatch(/organization_id/);
      expect(forOld).toMatchObject({ organization_id: s.organizationId, categories: ["hris"] });
      expect(forLatest).toMatchObject({
        organization_id: String(s.organizationId),
        categories: ["hris", "scheduling"],
      });
    });

    it("offers scheduling providers in the hub to a scheduling session", async () => {
      await s.ctx.integrations.enable(s.projectId, "test-scheduling");
      const session = await createSession(s, {
        origin_owner_id: "hub-scheduling",
        origin_owner_name: "n",
        categories: ["scheduling"],
      });
      const res = await fetch(`${s.url}/hub/connectors`, {
        headers: { "x-hub-session-token": session.token },
      });
      expect(res.status).toBe(200);
      const { integrations } = (await res.json()) as { integrations: { provider: string; type: string }[] };
      expect(integrations.map((i) => [i.provider, i.type])).toEqual([["test-scheduling", "scheduling"]]);
    });

    it("takes the PHP SDK's README example: 14 categories with duplicates, scheduling among them", async () => {
      const readme =
        "ats hris ticketing crm iam marketing lms iam documents ticketing screening messaging accounting scheduling";
      const categories = readme.split(" ");
      expect(categories).toHaveLength(14);
      const res = await as(CLIENTS.find((c) => c.name === "PHP SDK 0.28.4")!)("POST", "/connect_sessions", {
        categories,
        origin_owner_id: "<id>",
        origin_owner_name: "<value>",
        expires_in: 1800,
        multiple: false,
      });
      expect(res.status).toBe(201);
      // The PHP SDK cannot read session categories back (see client-schemas.ts): a raw client can.
      expect(res.body).not.toHaveProperty("categories");
      const token = (res.body as { token: string }).token;
      const raw = await as(CLIENTS[0]!)("POST", "/connect_sessions/authenticate", { token });
      // Each once, in the order first given.
      expect((raw.body as { categories: string[] }).categories).toEqual([
        ...categories.slice(0, 7),
        ...categories.slice(8, 9),
        ...categories.slice(10),
      ]);
    });

    it("lets a project and a key pin the profile, over the user agent", async () => {
      const raw = CLIENTS[0]!;
      const orgOf = async (apiKey = s.apiKey, ua: string | null = null) =>
        (
          (await as({ userAgent: ua }, apiKey)("POST", "/connect_sessions", {
            origin_owner_id: "pin",
            origin_owner_name: "n",
          })) as { body: { organization_id: unknown } }
        ).body.organization_id;
      expect(raw.userAgent).toBeNull();
      expect(await orgOf()).toBe(String(s.organizationId));

      const project = await s.ctx.tenancy.createProject({ name: "Pinned" });
      const key = (await s.ctx.tenancy.createApiKey(project.project_id)).api_key;
      const pinned = await s.ctx.tenancy.updateProject(project.project_id, {
        wireProfile: "typescript@4.28",
      });
      expect(pinned.wire_profile).toBe("typescript@4.28.0");
      // Pinned: a client that sends no user agent, or any other, gets 4.28's shape.
      expect(await orgOf(key)).toBe(s.organizationId);
      expect(
        await orgOf(key, "speakeasy-sdk/typescript 4.34.1 2.836.4 1.0.0 @stackone/stackone-client-ts"),
      ).toBe(s.organizationId);
      // A key overrides its project; `auto` on a key detects again; `project` follows the project.
      const second = await s.ctx.tenancy.createApiKey(project.project_id, "latest", {
        wireProfile: "latest",
      });
      expect(await orgOf(second.api_key)).toBe(String(s.organizationId));
      await s.ctx.tenancy.updateApiKey(second.id, { wireProfile: "auto" });
      expect(
        await orgOf(
          second.api_key,
          "speakeasy-sdk/typescript 4.28.0 2.721.3 1.0.0 @stackone/stackone-client-ts",
        ),
      ).toBe(s.organizationId);
      expect(await orgOf(second.api_key)).toBe(String(s.organizationId));
      await s.ctx.tenancy.updateApiKey(second.id, { wireProfile: "project" });
      expect(await orgOf(second.api_key)).toBe(s.organizationId);
      await s.ctx.tenancy.updateProject(project.project_id, { wireProfile: "auto" });
      expect(await orgOf(key)).toBe(String(s.organizationId));

      await expect(s.ctx.tenancy.updateProject(project.project_id, { wireProfile: "4.28" })).rejects.toThrow(
        /^wire_profile: must be auto, latest, typescript@<version>, php@<version> or java@<version>$/,
      );
    });
  });
}
