import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { GENERATED_DOCS, withGenerated } from "./docs.js";
import { lintCatalog } from "./lint.js";
import { type IconSet, LOGO_MAX_BYTES, loadIconSet, renderLogo } from "./logo.js";

let icons: IconSet;
beforeAll(async () => {
  const set = await loadIconSet();
  if (!set) throw new Error("simple-icons (a dev dependency) is not installed");
  icons = set;
});

type Entry = Record<string, unknown>;

/** A valid API-key entry on a per-tenant host, with a simple-icons brand. */
const valid = (key: string, over: Entry = {}): Entry => ({
  key,
  name: `Acme ${key}`,
  categories: ["crm"],
  logo: `${key}.svg`,
  brand: { simple_icons: "github", color: "#181717" },
  docs: "https://docs.acme.example.com",
  sources: ["https://docs.acme.example.com/auth"],
  auth: {
    scheme: "api_key",
    fields: [
      {
        key: "subdomain",
        label: "Subdomain",
        type: "text",
        secret: false,
        placeholder: "mycompany",
        validation: { pattern: "^[a-z0-9-]+$" },
      },
      { key: "api_key", label: "API key", type: "password" },
    ],
  },
  api: { base_url: "https://{{subdomain}}.acme.example.com/api", inject: { bearer: "{{api_key}}" } },
  verify: { path: "/me", expect_status: 200, reject_status: 401 },
  ...over,
});

/** Writes entries and the logos their brands draw (unless told otherwise), then lints the dir. */
function lint(
  entries: Entry[],
  opts: { logos?: Record<string, string>; entriesOnly?: boolean; docs?: Record<string, string> } = {},
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-lint-"));
  fs.mkdirSync(path.join(dir, "logos"));
  for (const e of entries) {
    fs.writeFileSync(path.join(dir, `${e.key}.yaml`), YAML.stringify(e));
    const brand = e.brand as { simple_icons: string | null; color: string } | undefined;
    const slugKnown = !brand?.simple_icons || icons.bySlug.has(brand.simple_icons);
    if (brand && slugKnown && !opts.entriesOnly)
      fs.writeFileSync(path.join(dir, "logos", `${e.key}.svg`), renderLogo(String(e.name), brand, icons));
  }
  for (const [file, svg] of Object.entries(opts.logos ?? {}))
    fs.writeFileSync(path.join(dir, "logos", file), svg);
  let docsDir: string | null = null;
  if (opts.docs !== undefined) {
    docsDir = path.join(dir, "docs");
    fs.mkdirSync(docsDir);
    for (const [file, text] of Object.entries(opts.docs)) fs.writeFileSync(path.join(docsDir, file), text);
  }
  return lintCatalog({
    dir,
    icons,
    docsDir,
    reservedKeys: ["sandbox-hris"],
    entriesOnly: opts.entriesOnly,
  });
}

const problems = (...args: Parameters<typeof lint>) => lint(...args).problems.join("\n");

describe("portico catalog lint", () => {
  it("passes a valid catalog and counts every wire category", () => {
    const result = lint([valid("one"), valid("two", { categories: ["scheduling", "crm"] })]);
    expect(result.problems).toEqual([]);
    expect(result.categories.crm).toBe(2);
    expect(result.categories.scheduling).toBe(1);
    expect(result.categories["hris-legacy"]).toBe(0);
    expect(Object.keys(result.categories)).toHaveLength(14);
  });

  it("requires brand, verify and reject_status", () => {
    const { brand: _b, ...noBrand } = valid("one");
    // OAuth entries may load without a verification request; the lint still wants one.
    const { verify: _v, ...noVerify } = valid("two", {
      auth: {
        scheme: "oauth2",
        oauth2: {
          authorize_url: "https://acme.example.com/authorize",
          token_url: "https://acme.example.com/token",
        },
      },
      api: { base_url: "https://api.acme.example.com", inject: { bearer: "{{access_token}}" } },
    });
    const out = problems([
      noBrand,
      noVerify,
      valid("three", { verify: { path: "/me" } }),
      valid("four", { verify: { path: "/me", reject_status: [401, 404] } }),
      valid("five", { verify: { path: "/me", reject_status: 302 } }),
    ]);
    expect(out).toMatch(/one\.yaml: brand: is required/);
    expect(out).toMatch(/two\.yaml: verify: is required/);
    expect(out).toMatch(/three\.yaml: verify\.reject_status: is required/);
    expect(out).toMatch(/four\.yaml: verify\.reject_status: 404 is what a moved endpoint answers/);
    expect(out).toMatch(/five\.yaml: verify\.reject_status: 302 is what a moved endpoint answers/);
  });

  it("finds a key or alias used twice, across entries and against built-in providers", () => {
    const out = problems([
      valid("one", { aliases: ["old-one"] }),
      valid("two", { aliases: ["old-one"] }),
      valid("three", { aliases: ["sandbox-hris"] }),
    ]);
    expect(out).toMatch(/two\.yaml: "old-one" is already used by one\.yaml/);
    expect(out).toMatch(/three\.yaml: "sandbox-hris" is already used by a built-in provider/);
  });

  it("wants https documentation and sources", () => {
    const out = problems([valid("one", { sources: ["https://ok.example.com", "http://docs.example.com"] })]);
    expect(out).toMatch(/one\.yaml: sources\.1: must be an https URL/);
  });

  it("refuses a host template that could leave the provider's domain", () => {
    const loose = valid("one");
    (loose.auth as { fields: Entry[] }).fields[0]!.validation = { pattern: "^.+$" };
    const noPattern = valid("two");
    delete (noPattern.auth as { fields: Entry[] }).fields[0]!.validation;
    const glued = valid("three", {
      api: { base_url: "https://{{subdomain}}acme.example.com", inject: { bearer: "{{api_key}}" } },
    });
    const badPlaceholder = valid("four");
    (badPlaceholder.auth as { fields: Entry[] }).fields[0]!.placeholder = "my.company";
    const out = problems([loose, noPattern, glued, badPlaceholder]);
    expect(out).toMatch(
      /one\.yaml: auth\.fields\.subdomain\.validation\.pattern: accepts "evil\.test", "a\/b"/,
    );
    expect(out).toMatch(/two\.yaml: api\.base_url: \{\{subdomain\}\} is in the host, so its field needs/);
    expect(out).toMatch(/three\.yaml: api\.base_url: must be an https URL on the provider's own domain/);
    expect(out).toMatch(/four\.yaml: auth\.fields\.subdomain\.placeholder: does not match/);
  });

  it("refuses a secret in any part of a URL: the request log and error bodies show it", () => {
    const inPath = valid("one", {
      api: { base_url: "https://{{subdomain}}.acme.example.com/k/{{api_key}}", inject: { bearer: "x" } },
    });
    const inQuery = valid("two", {
      api: {
        base_url: "https://{{subdomain}}.acme.example.com/api?key={{api_key}}",
        inject: { bearer: "x" },
      },
    });
    const oauth = valid("three", {
      auth: {
        scheme: "oauth2",
        fields: [{ key: "tenant_key", label: "Tenant key", type: "password" }],
        oauth2: {
          authorize_url: "https://acme.example.com/oauth/{{tenant_key}}/authorize",
          token_url: "https://acme.example.com/oauth/token",
        },
      },
      api: {
        base_url: "https://api.acme.example.com/{{access_token}}",
        inject: { bearer: "{{access_token}}" },
      },
      verify: undefined,
    });
    const out = problems([inPath, inQuery, oauth], { entriesOnly: true });
    expect(out).toMatch(/one\.yaml: api\.base_url: \{\{api_key\}\} is a secret/);
    expect(out).toMatch(/two\.yaml: api\.base_url: \{\{api_key\}\} is a secret/);
    expect(out).toMatch(/three\.yaml: auth\.oauth2\.authorize_url: \{\{tenant_key\}\} is a secret/);
    expect(out).toMatch(/three\.yaml: api\.base_url: \{\{access_token\}\} is a secret/);
    // Setup fields (secret: false) in a URL are what they are for.
    expect(problems([valid("four")], { entriesOnly: true })).toBe("");
  });

  it("accepts a select in the host only when every option is a DNS label", () => {
    const region = (values: string[]) =>
      valid(`r${values.length}`, {
        auth: {
          scheme: "api_key",
          fields: [
            {
              key: "region",
              label: "Region",
              type: "select",
              secret: false,
              options: values.map((v) => ({ label: v, value: v })),
            },
            { key: "api_key", label: "API key", type: "password" },
          ],
        },
        api: { base_url: "https://api.{{region}}.acme.example.com", inject: { bearer: "{{api_key}}" } },
      });
    expect(problems([region(["eu", "us"])])).toBe("");
    expect(problems([region(["eu", "us", "evil.test/x"])])).toMatch(
      /r3\.yaml: auth\.fields\.region\.options: "evil\.test\/x" is not a DNS label/,
    );
  });

  it("lets scopes and OAuth parameters name setup fields only, and keeps a templated host on the domain", () => {
    /** An OAuth entry whose org field (setup, or as told) fills scopes and parameters. */
    const oauthEntry = (key: string, oauth2: Entry, org: Entry = {}) =>
      valid(key, {
        auth: {
          scheme: "oauth2",
          fields: [
            {
              key: "org",
              label: "Organisation",
              type: "text",
              secret: false,
              placeholder: "contoso",
              validation: { pattern: "^[a-z0-9-]+$" },
              ...org,
            },
            { key: "client_secret", label: "Client secret", type: "password" },
          ],
          oauth2: {
            authorize_url: "https://login.acme.example.com/authorize",
            token_url: "https://login.acme.example.com/token",
            ...oauth2,
          },
        },
        api: { base_url: "https://{{org}}.acme.example.com/api", inject: { bearer: "{{access_token}}" } },
      });
    const good = oauthEntry("one", {
      scopes: ["https://{{org}}.crm.acme.example.com/.default", "offline_access", "{{org}}.read"],
      authorize_params: { prompt: "consent", tenant: "{{org}}" },
      token_params: { audience: "https://{{org}}.acme.example.com/api/v2/" },
    });
    expect(problems([good])).toBe("");

    const out = problems([
      oauthEntry("two", { scopes: ["{{region}}.read"] }),
      oauthEntry("three", { token_params: { secret: "{{client_secret}}" } }),
      oauthEntry("four", { authorize_params: { org: "{{org}}" } }, { secret: undefined }),
      oauthEntry("five", { token_params: { audience: "https://{{org}}acme.example.com/" } }),
      oauthEntry("six", { scopes: ["https://{{org}}.acme.example.com/.default"] }, { validation: undefined }),
    ]);
    expect(out).toMatch(/two\.yaml: auth\.oauth2\.scopes\.0: \{\{region\}\} is not a field of this entry/);
    expect(out).toMatch(
      /three\.yaml: auth\.oauth2\.token_params\.secret: \{\{client_secret\}\} is a secret field/,
    );
    expect(out).toMatch(/four\.yaml: auth\.oauth2\.authorize_params\.org: \{\{org\}\} is a secret field/);
    expect(out).toMatch(/five\.yaml: auth\.oauth2\.token_params\.audience: a templated host must stay/);
    // A field that fills a host in a scope needs the pattern a base URL's host field needs.
    expect(out).toMatch(/six\.yaml: auth\.oauth2\.scopes\.0: \{\{org\}\} is in the host, so its field needs/);
  });

  it("refuses an invalid category and unverified lines that are not 'path: why' about the entry", () => {
    const out = problems([
      valid("one", { categories: ["calendar"] }),
      valid("two", { unverified: ["auth.oauth2.pkce: never mentioned"] }),
      valid("three", { unverified: ["pkce is unclear"] }),
      valid("four", {
        unverified: ["verify.reject_status: the docs are silent", "auth.fields.api_key: where"],
      }),
    ]);
    expect(out).toMatch(/one\.yaml: categories\.0: /);
    expect(out).toMatch(/two\.yaml: unverified: "auth\.oauth2\.pkce" names nothing in this entry/);
    expect(out).toMatch(/three\.yaml: unverified\.0: a "path: why" line/);
    expect(out).not.toMatch(/four\.yaml/);
  });

  it("redraws every logo from its brand", () => {
    const out = problems([valid("one"), valid("two"), valid("three")], {
      logos: {
        "one.svg": renderLogo("Acme one", { simple_icons: "gitlab", color: "#181717" }, icons),
        "two.svg": `<svg xmlns="http://www.w3.org/2000/svg"><path d="${"M0 0".repeat(LOGO_MAX_BYTES / 4)}"/></svg>`,
        "three.svg":
          '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://cdn.example.com/x.png"/></svg>',
        "orphan.svg": "<svg/>",
      },
    });
    expect(out).toMatch(/one\.yaml: logo: one\.svg is not what brand draws: run `portico catalog logos`/);
    expect(out).toMatch(/two\.yaml: logo: \d+ bytes, more than 16384/);
    expect(out).toMatch(/three\.yaml: logo: must be self-contained/);
    expect(out).toMatch(/logos\/orphan\.svg: no entry uses this logo/);
  });

  it("holds a brand to the pinned icon set: its slug and its colour", () => {
    const out = problems([
      valid("one", { brand: { simple_icons: "nosuchbrandx", color: "#123456" } }),
      valid("two", { brand: { simple_icons: "github", color: "#000000" } }),
      valid("three", { brand: { simple_icons: null, color: "#123456" } }),
    ]);
    expect(out).toMatch(/one\.yaml: brand\.simple_icons: simple-icons 16\.\d+\.\d+ has no "nosuchbrandx"/);
    expect(out).toMatch(/two\.yaml: brand\.color: simple-icons' colour for github is #181717/);
    expect(out).not.toMatch(/three\.yaml/);
  });

  it("with --entries-only, checks entries without their logos", () => {
    expect(problems([valid("one")], { entriesOnly: true })).toBe("");
    expect(
      problems([valid("one", { brand: { simple_icons: "github", color: "#000000" } })], {
        entriesOnly: true,
      }),
    ).toMatch(/brand\.color/);
  });

  it("fails when a docs page's generated block is missing or stale, and passes once rewritten", () => {
    const oauth = valid("two", {
      auth: {
        scheme: "oauth2",
        fields: [
          {
            key: "subdomain",
            label: "Subdomain",
            type: "text",
            secret: false,
            placeholder: "mycompany",
            validation: { pattern: "^[a-z0-9-]+$" },
          },
        ],
        oauth2: {
          authorize_url: "https://{{subdomain}}.acme.example.com/authorize",
          token_url: "https://{{subdomain}}.acme.example.com/token",
          scopes: ["read"],
        },
      },
      api: { base_url: "https://{{subdomain}}.acme.example.com/api", inject: { bearer: "{{access_token}}" } },
    });
    const entries = [valid("one"), oauth];
    const [table, apps] = GENERATED_DOCS;
    const loaded = lint(entries).entries;
    const current = {
      "catalog.md": withGenerated(`# Providers\n${table!.start}\n${table!.end}\n`, table!, loaded)!,
      "oauth-apps.md": withGenerated(`# OAuth apps\n${apps!.start}\n${apps!.end}\n`, apps!, loaded)!,
    };
    expect(current["catalog.md"]).toContain(
      "| [Acme one](https://docs.acme.example.com) | `one` | crm | api_key |",
    );
    expect(current["oauth-apps.md"]).toContain("### Acme two\n\n- Key `two`; crm.");
    expect(current["oauth-apps.md"]).toContain("- The hub asks the user first for: Subdomain (`subdomain`).");
    expect(current["oauth-apps.md"]).not.toContain("Acme one");
    expect(problems(entries, { docs: current })).toBe("");
    expect(problems(entries, { docs: { ...current, "catalog.md": "# No table\n" } })).toMatch(
      /docs\/catalog\.md: the markers of the catalog table are missing/,
    );
    expect(problems(entries, { docs: { "catalog.md": current["catalog.md"] } })).toMatch(
      /docs\/oauth-apps\.md: the markers of the OAuth providers are missing/,
    );
    expect(
      problems(entries, { docs: { ...current, "catalog.md": `${table!.start}\n| old |\n${table!.end}\n` } }),
    ).toMatch(/docs\/catalog\.md: the catalog table is out of date: run `portico catalog lint --docs`/);
  });
});
