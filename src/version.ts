import fs from "node:fs";
import { fromRoot } from "./paths.js";

const pkg = JSON.parse(fs.readFileSync(fromRoot("package.json"), "utf8")) as { version: string };

export const VERSION: string = pkg.version;
