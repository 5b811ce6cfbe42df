import fs from "node:fs";
import path from "node:path";

/**
 * The package's root, the folder with its package.json, found from wherever this module runs: the
 * TypeScript sources under tsx or vitest, or their compiled copy in node_modules/.cache (see
 * bin/compile.js). Data files (catalog, logos, hub assets) are always read from the root.
 */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json")) && !dir.split(path.sep).includes("node_modules"))
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = packageRoot(import.meta.dirname);

export const fromRoot = (...parts: string[]): string => path.join(ROOT, ...parts);
