import fs from "node:fs";
import path from "node:path";

const isPortico = (dir: string): boolean => {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).name === "portico";
  } catch {
    return false;
  }
};

/**
 * The package's root, the folder with Portico's package.json, found from wherever this module
 * runs: the TypeScript sources under tsx or vitest, their compiled copy in node_modules/.cache
 * (see bin/compile.js), or the release build's dist/ in an installed package (which may itself sit
 * in someone's node_modules). Data files (catalog, logos, hub assets) are always read from the root.
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (isPortico(dir)) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json of portico above ${from}`);
  }
}

export const ROOT = packageRoot(import.meta.dirname);

export const fromRoot = (...parts: string[]): string => path.join(ROOT, ...parts);

/**
 * An installation from the release build (`npm pack`, the container image): compiled code in
 * dist/ and no TypeScript sources. A clone runs its sources even when a dist/ was built there.
 */
export const RELEASE_BUILD = !fs.existsSync(fromRoot("src", "main.ts"));
