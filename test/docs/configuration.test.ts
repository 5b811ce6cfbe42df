import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Every PORTICO_* name src/config.ts mentions: its one schema over the environment. */
function declared(): string[] {
  const source = fs.readFileSync(path.join(ROOT, "src/config.ts"), "utf8");
  return [...new Set(source.match(/\bPORTICO_[A-Z0-9_]+\b/g) ?? [])].sort();
}

/** The variables the configuration page's tables have a row for (first cell, in backticks). */
function documented(): string[] {
  const page = fs.readFileSync(path.join(ROOT, "docs/configuration.md"), "utf8");
  return [...page.matchAll(/^\|\s*`(PORTICO_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!).sort();
}

/** A setting cannot ship undocumented, and the page cannot describe a setting that is gone. */
describe("docs/configuration.md", () => {
  it("has a row for every PORTICO_* variable src/config.ts declares", () => {
    const rows = new Set(documented());
    const missing = declared().filter((v) => !rows.has(v));
    expect(missing, "add a row (variable, default, meaning) to docs/configuration.md").toEqual([]);
  });

  it("documents each variable once, and only variables src/config.ts declares", () => {
    const rows = documented();
    expect(
      rows.filter((v, i) => rows.indexOf(v) !== i),
      "listed twice",
    ).toEqual([]);
    const known = new Set(declared());
    expect(
      rows.filter((v) => !known.has(v)),
      "not in src/config.ts",
    ).toEqual([]);
    expect(rows.length).toBeGreaterThan(40);
  });
});
