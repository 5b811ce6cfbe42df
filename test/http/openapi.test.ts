import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TAGS, OPERATION_GUIDES } from "../../src/http/openapi-guide.js";
import { portico } from "../helpers/processes.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  description?: string;
  responses: Record<string, { description: string }>;
};
type Doc = {
  info: { title: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Operation>>;
};

/**
 * The API reference is written for the people who call the API: /docs opens on what Portico is,
 * how to authenticate and what errors look like; the operations come grouped by resource in reading
 * order, each described.
 */
describe("the OpenAPI reference", () => {
  let s: TestServer;
  let doc: Doc;
  beforeAll(async () => {
    s = await startTestServer("sqlite");
    doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as Doc;
  });
  afterAll(() => s?.close());

  it("opens with what Portico is, authentication and errors, not client-version internals", () => {
    expect(doc.info.title).toBe("Portico API");
    const first = doc.info.description.split("\n")[0]!;
    expect(first).toMatch(/^Portico is a self-hostable \*\*connect layer\*\*/);
    expect(doc.info.description).toContain("**Authentication.**");
    expect(doc.info.description).toContain("**Errors.**");
    expect(doc.info.description).toContain("POST /unified/proxy");
    expect(doc.info.description).not.toMatch(/wire profile|speakeasy-sdk/i);
  });

  it("groups every operation under a described resource, in reading order", () => {
    expect(doc.tags.map((t) => t.name)).toEqual(API_TAGS.map((t) => t.name));
    expect(doc.tags[0]!.name).toBe("Connect Sessions");
    for (const t of doc.tags) expect(t.description.length, t.name).toBeGreaterThan(40);
    const used = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        expect(op.tags?.length, `${method} ${path}`).toBe(1);
        expect(
          doc.tags.map((t) => t.name),
          `${method} ${path}`,
        ).toContain(op.tags![0]);
        used.add(op.tags![0]!);
        expect(op.summary, `${method} ${path}`).toBeTruthy();
        for (const [status, r] of Object.entries(op.responses))
          expect(r.description, `${method} ${path} ${status}`).not.toBe("Default Response");
      }
    expect([...used].sort()).toEqual(doc.tags.map((t) => t.name).sort());
  });

  it("describes every operation of the public API, and leaves the sandbox's demo routes out", () => {
    const publicOps = Object.entries(doc.paths)
      .filter(([path]) => !path.startsWith("/console/"))
      .flatMap(([, ops]) => Object.values(ops));
    expect(publicOps.length).toBeGreaterThanOrEqual(21);
    for (const op of publicOps) {
      expect(op.description, op.operationId).toBeTruthy();
      expect(op.description!.startsWith(OPERATION_GUIDES[op.operationId!] ?? ""), op.operationId).toBe(true);
    }
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/sandbox"))).toEqual([]);
  });

  it("serves the browsable reference at /docs under its own title", async () => {
    const html = await (await fetch(`${s.url}/docs/`)).text();
    expect(html).toContain("<title>Portico API reference</title>");
    const init = await (await fetch(`${s.url}/docs/static/swagger-initializer.js`)).text();
    expect(init).toContain('"docExpansion":"list"');
    expect(init).toContain('"layout":"BaseLayout"');
  });

  it("prints the same document from `portico openapi`, with no server or database", async () => {
    const r = await portico(["openapi"], {
      PORTICO_PUBLIC_URL: s.url,
      PORTICO_DATABASE_URL: "postgres://nobody@127.0.0.1:1/never-opened",
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(doc);
  });
});
