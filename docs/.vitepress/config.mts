import fs from "node:fs";
import path from "node:path";
import { defineConfig } from "vitepress";
import { openApiDocument } from "./openapi.js";
import { referencePages } from "./reference.js";

/**
 * The docs site: VitePress over the Markdown pages in docs/, which read the same on GitHub. Built by
 * `npm run docs:build` into docs/.vitepress/dist; the API reference pages are rendered from the
 * OpenAPI document Portico's routes declare (see reference.ts), and that document is published
 * beside them as openapi.json.
 */
const reference = referencePages(openApiDocument());

export default defineConfig({
  title: "Portico",
  description:
    "A self-hostable connect layer, wire-compatible with StackOne: connect sessions, the hub, linked accounts, the proxy and webhooks.",
  // Served from a subpath (GitHub Pages, for example) with DOCS_BASE=/portico/.
  base: process.env.DOCS_BASE ?? "/",
  lang: "en",
  cleanUrls: false,
  lastUpdated: false,
  // Examples name a local Portico (http://localhost:4000): not pages of this site.
  ignoreDeadLinks: "localhostLinks",
  head: [["meta", { name: "theme-color", content: "#3e63dd" }]],
  markdown: { lineNumbers: false },
  themeConfig: {
    nav: [
      { text: "Quick start", link: "/quick-start" },
      { text: "Concepts", link: "/concepts" },
      { text: "API", link: "/api" },
      { text: "SDKs", link: "/sdks" },
      { text: "FAQ", link: "/faq" },
    ],
    sidebar: [
      {
        text: "Start",
        items: [
          { text: "What Portico is", link: "/" },
          { text: "Concepts", link: "/concepts" },
          { text: "Quick start", link: "/quick-start" },
        ],
      },
      {
        text: "Build with Portico",
        items: [
          { text: "The API with curl", link: "/api" },
          { text: "SDKs", link: "/sdks" },
          { text: "Embedding the hub", link: "/hub" },
          { text: "OAuth apps", link: "/oauth-apps" },
          { text: "The proxy", link: "/proxy" },
          { text: "Webhooks", link: "/webhooks" },
          { text: "Connection health", link: "/connection-health" },
          { text: "The console", link: "/console" },
        ],
      },
      {
        text: "Run Portico",
        items: [
          { text: "Configuration", link: "/configuration" },
          { text: "Deployment", link: "/deployment" },
          { text: "Operations", link: "/operations" },
          { text: "Observability", link: "/observability" },
          { text: "Security model", link: "/security" },
          { text: "History and audit", link: "/history" },
          { text: "Performance", link: "/performance" },
        ],
      },
      {
        text: "Providers",
        items: [{ text: "The catalog", link: "/catalog" }],
      },
      {
        text: "API reference",
        collapsed: false,
        items: reference.map((p) => ({ text: p.title, link: `/reference/${p.slug}` })),
      },
      {
        text: "Moving over",
        items: [
          { text: "Migrating from StackOne", link: "/migrating-from-stackone" },
          { text: "FAQ", link: "/faq" },
        ],
      },
    ],
    outline: { level: [2, 3] },
    search: { provider: "local" },
    footer: {
      message: "MIT licensed. StackOne is a trademark of its owner; Portico is not affiliated with it.",
    },
  },
  buildEnd(site) {
    // The document the reference pages were rendered from, for client generators and Swagger UI.
    fs.writeFileSync(
      path.join(site.outDir, "openapi.json"),
      `${JSON.stringify(openApiDocument(), null, 2)}\n`,
    );
  },
});
