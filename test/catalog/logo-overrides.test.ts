import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCatalog } from "../../src/catalog/build.js";
import { LOGO_DIR } from "../../src/catalog/loader.js";
import { LOGO_SOURCES, logoSource } from "../../src/catalog/logo.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * An operator replaces any provider's logo from a catalog directory (PORTICO_CATALOG_DIRS):
 * `logos/<key>.svg` or `.png` for a provider the directory does not define. The override is what
 * the connectors meta and the hub point at; one that is not self-contained stops the start.
 */
const OWN =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><title>ours</title><rect width="8" height="8" fill="#123456"/></svg>';

describe("operator logo overrides", () => {
  let dir: string;
  let s: TestServer;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-overrides-"));
    fs.mkdirSync(path.join(dir, "logos"));
    fs.writeFileSync(path.join(dir, "logos", "slack.svg"), OWN);
    s = await startTestServer("sqlite", { PORTICO_CATALOG_DIRS: dir });
  });
  afterAll(async () => {
    await s?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves the operator's logo for that provider, and the shipped one for the others", async () => {
    const meta = (await (
      await fetch(`${s.url}/connectors/meta/slack`, { headers: { authorization: basic(s.apiKey) } })
    ).json()) as { resources: { images: { logo_url: string } } };
    expect(meta.resources.images.logo_url).toBe(`${s.url}/assets/logos/override-slack.svg`);
    expect(await (await fetch(meta.resources.images.logo_url)).text()).toBe(OWN);
    const other = await fetch(`${s.url}/assets/logos/github.svg`);
    expect(await other.text()).toBe(fs.readFileSync(path.join(LOGO_DIR, "github.svg"), "utf8"));
  });

  it("refuses an override that is not self-contained, naming the file", () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), "portico-overrides-bad-"));
    fs.mkdirSync(path.join(bad, "logos"));
    fs.writeFileSync(path.join(bad, "logos", "github.svg"), '<svg onload="x()"><rect/></svg>');
    try {
      expect(() => buildCatalog({ publicUrl: "http://x", extraDirs: [bad] })).toThrow(
        /github\.svg: must be self-contained/,
      );
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  it("records each logo's source and licence", () => {
    expect(logoSource({ simple_icons: "github", color: "#181717" })).toBe("simple_icons");
    expect(logoSource({ simple_icons: null, logos: "slack-icon", color: "#4A154B" })).toBe("logos");
    expect(logoSource({ simple_icons: null, color: "#000000" })).toBe("monogram");
    expect(LOGO_SOURCES.logos.licence).toBe("CC0-1.0");
    const readme = fs.readFileSync(path.join(LOGO_DIR, "README.md"), "utf8");
    expect(readme).toContain("| `slack.svg` | Slack | SVG Logos `slack-icon`, its own colours | CC0-1.0 |");
    expect(readme).toMatch(
      /\| `github\.svg` \| GitHub \| simple-icons `github` \(GitHub\), fill #181717 \| CC0-1\.0 \|/,
    );
  });
});
