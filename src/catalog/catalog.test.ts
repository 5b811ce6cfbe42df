import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Catalog } from "./catalog.js";
import { loadCatalogFiles } from "./loader.js";
import { renderParam, renderUrl, renderValue } from "./template.js";

describe("the shipped catalog", () => {
  const entries = loadCatalogFiles();
  const catalog = new Catalog(entries);

  it("has at least 25 real providers across the required categories", () => {
    expect(entries.length).toBeGreaterThanOrEqual(25);
    const covered = new Set(entries.flatMap((e) => e.categories));
    for (const c of [
      "ats",
      "hris",
      "crm",
      "iam",
      "ticketing",
      "marketing",
      "lms",
      "documents",
      "messaging",
      "accounting",
      "screening",
    ]) {
      expect(covered, c).toContain(c);
    }
  });

  it("records a public source for every entry and uses every scheme", () => {
    for (const e of entries) expect(e.sources.length, e.key).toBeGreaterThan(0);
    const schemes = new Set(entries.map((e) => e.auth.scheme));
    expect([...schemes].sort()).toEqual(["api_key", "basic", "oauth2"]);
  });

  it("resolves keys and aliases", () => {
    expect(catalog.get("bamboohr")?.name).toBe("BambooHR");
    expect(catalog.has("no-such-provider")).toBe(false);
  });
});

describe("catalog validation", () => {
  const write = (files: Record<string, string>) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-catalog-"));
    fs.mkdirSync(path.join(dir, "logos"));
    fs.writeFileSync(path.join(dir, "logos", "x.svg"), "<svg/>");
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
  };

  const entry = (key: string, overrides: { categories?: string; type?: string; baseUrl?: string }) =>
    [
      `key: ${key}`,
      "name: X",
      `categories: [${overrides.categories ?? "crm"}]`,
      "logo: x.svg",
      "docs: https://x.example.com",
      "sources: [https://x.example.com]",
      `auth: { scheme: api_key, fields: [{ key: api_key, label: Key, type: ${overrides.type ?? "password"} }] }`,
      `api: { base_url: '${overrides.baseUrl ?? "https://api.x.example.com"}', inject: { bearer: '{{api_key}}' } }`,
      "verify: { path: /me }",
    ].join("\n");

  it("names the file and the field of a bad entry", () => {
    const dir = write({
      "a.yaml": entry("a", { categories: "hrisLegacy", type: "secret" }),
      "b.yaml": entry("b", { baseUrl: "https://{{tenant}}" }),
    });
    let message = "";
    try {
      loadCatalogFiles(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("a.yaml: categories.0");
    expect(message).toContain("a.yaml: auth.fields.0.type");
    expect(message).toMatch(/b\.yaml: api\.base_url: .*tenant.* is not a field/);
    expect(message).toMatch(/b\.yaml: api\.base_url: must be an https URL on the provider's own domain/);
  });

  it("refuses a key that does not match its file and a missing logo", () => {
    const dir = write({
      "y.yaml":
        "key: z\nname: Z\ncategories: [crm]\nlogo: nope.svg\ndocs: https://z.example.com\nsources: [https://z.example.com]\nauth: { scheme: api_key, fields: [{ key: api_key, label: Key, type: password }] }\napi: { base_url: 'https://api.z.example.com', inject: { bearer: '{{api_key}}' } }\nverify: { path: /me }\n",
    });
    expect(() => loadCatalogFiles(dir)).toThrow(
      /key: must match the file name[\s\S]*logo: .*logos\/nope.svg does not exist/,
    );
  });
});

describe("templates", () => {
  it("keeps a templated host on the provider's domain", () => {
    const t = "https://{{subdomain}}.example.com/api/{{path}}";
    expect(renderUrl(t, { subdomain: "Acme", path: "a b/c" }).toString()).toBe(
      "https://acme.example.com/api/a%20b%2Fc",
    );
    for (const evil of ["evil.test#", "evil.test/", "a.b", "x@evil.test", "-x", ""]) {
      expect(() => renderUrl(t, { subdomain: evil, path: "p" }), evil).toThrow();
    }
  });

  it("refuses line breaks in header values and names a missing value", () => {
    expect(renderValue("Bearer {{k}}", { k: "abc" })).toBe("Bearer abc");
    expect(() => renderValue("Bearer {{k}}", { k: "a\r\nX-Evil: 1" })).toThrow(/line breaks/);
    expect(() => renderValue("{{k}}", {})).toThrow(/k: is required/);
  });

  it("fills scopes and OAuth parameters: URL-shaped ones keep the provider's domain, others are encoded", () => {
    const scope = "https://{{org}}.crm.dynamics.com/.default";
    expect(renderParam(scope, { org: "Contoso" })).toBe("https://contoso.crm.dynamics.com/.default");
    // Returned as written: URL parsing would add a slash here.
    expect(renderParam("https://{{t}}.auth0.com", { t: "acme" })).toBe("https://acme.auth0.com");
    for (const evil of ["evil.test", "evil.test/x", "a@b", "x#", ""])
      expect(() => renderParam(scope, { org: evil }), evil).toThrow();
    expect(renderParam("https://api.example.com/{{path}}", { path: "a b/c" })).toBe(
      "https://api.example.com/a%20b%2Fc",
    );
    // A value cannot add a scope or a parameter of its own.
    expect(renderParam("{{org}}.read", { org: "acme offline_access&x=1" })).toBe(
      "acme%20offline_access%26x%3D1.read",
    );
    expect(renderParam("contacts.read", {})).toBe("contacts.read");
    expect(() => renderParam("{{org}}.read", {})).toThrow(/org: is required/);
  });
});
