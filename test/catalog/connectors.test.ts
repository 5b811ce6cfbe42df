import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCatalogFiles } from "../../src/catalog/loader.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * The whole catalog as clients see it: `GET /connectors/meta` (serialized once per provider and
 * per set of active providers) and the hub's list (built from the project's active providers).
 */
describe("connectors meta and the hub list with the full catalog", () => {
  let s: TestServer;
  const shipped = loadCatalogFiles();
  beforeAll(async () => {
    s = await startTestServer("sqlite");
  });
  afterAll(() => s?.close());

  type Meta = {
    provider: string;
    provider_name: string;
    category: string;
    categories: string[];
    active: boolean;
  };
  const meta = async (apiKey = s.apiKey) => {
    const res = await fetch(`${s.url}/connectors/meta`, { headers: { authorization: basic(apiKey) } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    return (await res.json()) as Meta[];
  };

  it("lists every catalog provider with its categories, by name", async () => {
    const list = await meta();
    for (const e of shipped) {
      const m = list.find((x) => x.provider === e.key);
      expect(m, e.key).toMatchObject({
        provider_name: e.name,
        category: e.categories[0],
        categories: e.categories,
        active: false,
      });
    }
    const names = list.map((m) => m.provider_name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(list.find((m) => m.provider === "sandbox-hris")?.active).toBe(true);
  });

  it("shows a change of active providers at once, per project", async () => {
    expect((await meta()).find((m) => m.provider === "jira")?.active).toBe(false);
    await s.ctx.integrations.enable(s.projectId, "jira", { clientId: "c", clientSecret: "s" });
    expect((await meta()).find((m) => m.provider === "jira")?.active).toBe(true);
    const one = await fetch(`${s.url}/connectors/meta/jira`, { headers: { authorization: basic(s.apiKey) } });
    expect(await one.json()).toMatchObject({ provider: "jira", active: true, categories: ["ticketing"] });

    const other = await s.ctx.tenancy.createProject({ name: "Other" });
    const key = await s.ctx.tenancy.createApiKey(other.project_id);
    expect((await meta(key.api_key)).find((m) => m.provider === "jira")?.active).toBe(false);

    await s.ctx.integrations.disable(s.projectId, "jira");
    expect((await meta()).find((m) => m.provider === "jira")?.active).toBe(false);
  });

  it("lists the project's active providers in the hub, by name and within the session's categories", async () => {
    for (const p of ["zendesk", "bamboohr", "attio", "freshdesk"])
      await s.ctx.integrations.enable(s.projectId, p);
    const all = await createSession(s, { origin_owner_id: "o1", origin_owner_name: "O" });
    const list = (await (await hubFetch(s, all.token, "/connectors")).json()) as {
      integrations: { provider: string; type: string; logo_url: string }[];
    };
    expect(list.integrations.map((i) => i.provider)).toEqual([
      "attio",
      "bamboohr",
      "freshdesk",
      "sandbox-ats",
      "sandbox-crm",
      "sandbox-hris",
      "zendesk",
    ]);
    expect(list.integrations.find((i) => i.provider === "zendesk")!.logo_url).toBe(
      `${s.url}/assets/logos/zendesk.svg`,
    );

    const ticketing = await createSession(s, {
      origin_owner_id: "o2",
      origin_owner_name: "O",
      categories: ["ticketing"],
    });
    const only = (await (await hubFetch(s, ticketing.token, "/connectors")).json()) as {
      integrations: { provider: string; type: string }[];
    };
    expect(only.integrations).toEqual([
      expect.objectContaining({ provider: "freshdesk", type: "ticketing" }),
      expect.objectContaining({ provider: "zendesk", type: "ticketing" }),
    ]);
    const one = await (await hubFetch(s, all.token, "/connectors?provider=bamboohr")).json();
    expect(one.integrations.map((i: { provider: string }) => i.provider)).toEqual(["bamboohr"]);
    const inactive = await (await hubFetch(s, all.token, "/connectors?provider=jira")).json();
    expect(inactive.integrations).toEqual([]);
  });
});
