import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

export const COMPOSE_FILE = path.resolve(import.meta.dirname, "../../compose.yaml");

/**
 * Compose's interpolation of `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `${VAR:?message}`
 * over `vars` (what the shell and the .env file beside compose.yaml give).
 * @see https://docs.docker.com/reference/compose-file/interpolation/
 */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (_m, name: string, op?: string, arg?: string) => {
      const value = vars[name];
      const unset = op?.startsWith(":") ? !value : value === undefined;
      if (op === ":-" || op === "-") return unset ? (arg ?? "") : value!;
      if (op === ":?" || op === "?") {
        if (unset) throw new Error(`${name}: ${arg}`);
        return value!;
      }
      return value ?? "";
    },
  );
}

/** compose.yaml as Compose reads it with `vars` set (nothing, by default: a user's first run). */
// biome-ignore lint/suspicious/noExplicitAny: a compose file is free-form YAML.
export function composeFile(vars: Record<string, string | undefined> = {}): any {
  return YAML.parse(interpolate(fs.readFileSync(COMPOSE_FILE, "utf8"), vars));
}

/** The Portico service's environment in compose.yaml, interpolated. */
export function composePorticoEnv(vars: Record<string, string | undefined> = {}): Record<string, string> {
  const env = composeFile(vars).services.portico.environment as Record<string, string> | string[];
  if (Array.isArray(env))
    return Object.fromEntries(env.map((e) => [e.split("=")[0]!, e.slice(e.indexOf("=") + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
}
