import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** The pages every issue writes its documentation into: each must exist and be in the sidebar. */
const PAGES = [
  "index",
  "concepts",
  "quick-start",
  "api",
  "sdks",
  "hub",
  "oauth-apps",
  "webhooks",
  "proxy",
  "connection-health",
  "console",
  "configuration",
  "deployment",
  "operations",
  "observability",
  "security",
  "catalog",
  "history",
  "performance",
  "migrating-from-stackone",
  "faq",
];

type Page = { file: string; ids: Set<string>; links: string[] };

const decode = (s: string) =>
  s
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">");

function readSite(dir: string): Map<string, Page> {
  const pages = new Map<string, Page>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith(".html")) {
        const html = fs.readFileSync(full, "utf8");
        const rel = path.relative(dir, full).split(path.sep).join("/");
        pages.set(rel, {
          file: rel,
          ids: new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => decode(m[1]!))),
          links: [...html.matchAll(/<(?:a|img)\s[^>]*?(?:href|src)="([^"]*)"/g)].map((m) => decode(m[1]!)),
        });
      }
    }
  };
  walk(dir);
  return pages;
}

/** Where an internal link lands: the built file and the anchor, or null for a link that leaves the site. */
function target(from: string, href: string): { file: string; hash: string } | null {
  if (/^([a-z]+:|\/\/)/i.test(href)) return null;
  const url = new URL(href, `http://site/${from}`);
  let file = decodeURIComponent(url.pathname).replace(/^\//, "");
  if (file === "" || file.endsWith("/")) file += "index.html";
  else if (!path.extname(file)) file += ".html";
  return { file, hash: decodeURIComponent(url.hash.slice(1)) };
}

/**
 * The docs site builds (as `npm run docs:build` does) and every internal link and anchor in it
 * resolves: the pages, the generated API reference, images and assets.
 */
describe("the docs site", () => {
  let out: string;
  let pages: Map<string, Page>;
  let build: { code: number; output: string };
  beforeAll(async () => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), "portico-docs-"));
    build = await new Promise((resolve) => {
      execFile(
        process.execPath,
        [path.join(ROOT, "node_modules/vitepress/bin/vitepress.js"), "build", "docs", "--outDir", out],
        { cwd: ROOT, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, output: `${stdout}${stderr}` }),
      );
    });
    pages = build.code === 0 ? readSite(out) : new Map();
  }, 300_000);
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it("builds with VitePress (dead page links fail the build)", () => {
    expect(build.output.slice(-3000)).toContain("build complete");
    expect(build.code).toBe(0);
  });

  it("has every agreed page, each in the sidebar, and the API reference by resource", () => {
    for (const name of PAGES) {
      expect(fs.existsSync(path.join(ROOT, "docs", `${name}.md`)), `docs/${name}.md`).toBe(true);
      expect(pages.has(`${name}.html`), `${name}.html`).toBe(true);
    }
    const sidebar = pages.get("concepts.html")!.links;
    for (const name of PAGES)
      expect(sidebar, `sidebar link to ${name}`).toContain(name === "index" ? "/" : `/${name}.html`);
    for (const resource of [
      "connect-sessions",
      "accounts",
      "connectors",
      "proxy",
      "request-logs",
      "webhooks",
    ])
      expect(sidebar, resource).toContain(`/reference/${resource}.html`);
    const openapi = JSON.parse(fs.readFileSync(path.join(out, "openapi.json"), "utf8"));
    expect(openapi.paths["/connect_sessions"].post.operationId).toBe("stackone_create_connect_session");
  });

  it("resolves every internal link and anchor", () => {
    const broken: string[] = [];
    let checked = 0;
    for (const page of pages.values())
      for (const href of page.links) {
        const t = target(page.file, href);
        if (!t) continue;
        checked++;
        const dest = pages.get(t.file);
        if (!dest && !fs.existsSync(path.join(out, t.file)))
          broken.push(`${page.file}: ${href} (no ${t.file})`);
        else if (t.hash && dest && !dest.ids.has(t.hash))
          broken.push(`${page.file}: ${href} (no #${t.hash})`);
      }
    expect(broken).toEqual([]);
    expect(checked).toBeGreaterThan(500);
  });

  it("resolves the README's links into the repository and the docs' anchors", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const broken: string[] = [];
    for (const [, href] of readme.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^([a-z]+:|#)/i.test(href!)) continue;
      const [file, hash] = href!.split("#");
      if (!fs.existsSync(path.join(ROOT, file!))) broken.push(`${href} (no ${file})`);
      else if (hash && /^docs\/.+\.md$/.test(file!)) {
        const built = pages.get(file!.replace(/^docs\//, "").replace(/\.md$/, ".html"));
        if (!built?.ids.has(hash)) broken.push(`${href} (no #${hash})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
