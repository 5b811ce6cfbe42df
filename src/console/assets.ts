import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fromRoot } from "../paths.js";

export type ConsoleAssets = {
  /** Hashed file names, for the page's script and stylesheet links. */
  js: string;
  css: string;
  files: Map<string, { body: Buffer; type: string }>;
};

/**
 * The console's script and stylesheet, built from console/ by bin/build-console.js (once per
 * version of the sources) and held in memory.
 */
export async function loadConsoleAssets(): Promise<ConsoleAssets> {
  const builder = (await import(pathToFileURL(fromRoot("bin", "build-console.js")).href)) as {
    buildConsole(): Promise<{ dir: string; js: string; css: string }>;
  };
  const built = await builder.buildConsole();
  const read = (name: string) => fs.readFileSync(path.join(built.dir, name));
  return {
    js: built.js,
    css: built.css,
    files: new Map([
      [built.js, { body: read(built.js), type: "application/javascript; charset=utf-8" }],
      [built.css, { body: read(built.css), type: "text/css; charset=utf-8" }],
    ]),
  };
}
