import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { fromRoot, RELEASE_BUILD } from "../paths.js";

export type ConsoleAssets = {
  /** Hashed file names, for the page's script and stylesheet links. */
  js: string;
  css: string;
  files: Map<string, { body: Buffer; type: string }>;
};

/** Where the console's bundle is: the release build's dist/console, or built from console/. */
async function built(): Promise<{ dir: string; js: string; css: string }> {
  if (RELEASE_BUILD) {
    const dir = fromRoot("dist", "console");
    return { dir, ...JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) };
  }
  const builder = (await import(pathToFileURL(fromRoot("bin", "build-console.js")).href)) as {
    buildConsole(): Promise<{ dir: string; js: string; css: string }>;
  };
  return builder.buildConsole();
}

/**
 * The console's script and stylesheet, built from console/ by bin/build-console.js (once per
 * version of the sources), or shipped built in dist/console by a release build; held in memory.
 */
export async function loadConsoleAssets(): Promise<ConsoleAssets> {
  const { dir, js, css } = await built();
  const read = (name: string) => fs.readFileSync(path.join(dir, name));
  return {
    js,
    css,
    files: new Map([
      [js, { body: read(js), type: "application/javascript; charset=utf-8" }],
      [css, { body: read(css), type: "text/css; charset=utf-8" }],
    ]),
  };
}
