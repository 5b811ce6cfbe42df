import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { loadConfig, SETTING_NAMES } from "../../src/config.js";
import { composeFile, composePorticoEnv, interpolate } from "../helpers/compose.js";

/**
 * compose.yaml against the Dockerfile it builds, the settings Portico reads, and what
 * docs/deployment.md tells users it does. (test/release/image.test.ts runs the image with this
 * file's settings on PostgreSQL.)
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const DOCKERFILE = fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8");
const DOCS = fs.readFileSync(path.join(ROOT, "docs", "deployment.md"), "utf8");

/** `ENV` of the Dockerfile's last stage: what the image sets before compose adds its own. */
function imageEnv(): Record<string, string> {
  const last = DOCKERFILE.slice(DOCKERFILE.lastIndexOf("\nFROM "));
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(last)![1]!.replace(/\\\n/g, " ");
  return Object.fromEntries([...block.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
}

const seconds = (d: string) => {
  const m = /^(\d+)(ms|s|m)$/.exec(d)!;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as "ms" | "s" | "m"];
};

describe("compose.yaml", () => {
  const compose = composeFile();
  const { postgres, portico } = compose.services;

  it("runs PostgreSQL and Portico, Portico once PostgreSQL is healthy", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["portico", "postgres"]);
    expect(postgres.image).toMatch(/^postgres:\d+/);
    expect(portico.build.context).toBe(".");
    expect(portico.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
  });

  it("has health checks: pg_isready, and the image's own on /readyz", () => {
    expect(postgres.healthcheck.test.join(" ")).toMatch(/pg_isready -U portico -d portico/);
    const dockerHealth = /^HEALTHCHECK .*CMD (\[.*\])$/m.exec(DOCKERFILE)![1]!;
    expect(["CMD", ...JSON.parse(dockerHealth)]).toEqual(portico.healthcheck.test);
    expect(fs.readFileSync(path.join(ROOT, "bin", "healthcheck.js"), "utf8")).toMatch(/\/readyz/);
  });

  it("keeps data in named volumes, Portico's on the image's /data", () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(["portico-data", "postgres-data"]);
    expect(postgres.volumes).toEqual(["postgres-data:/var/lib/postgresql/data"]);
    expect(portico.volumes).toEqual(["portico-data:/data"]);
    expect(DOCKERFILE).toMatch(/^VOLUME \["\/data"\]$/m);
    expect(imageEnv().PORTICO_DATA_DIR).toBe("/data");
  });

  it("publishes the image's port on the loopback only, with a read-only root and time to drain", () => {
    expect(portico.ports).toEqual([`127.0.0.1:4000:${imageEnv().PORTICO_PORT}`]);
    expect(DOCKERFILE).toMatch(/^EXPOSE 4000$/m);
    expect(portico.read_only).toBe(true);
    expect(portico.tmpfs).toEqual(["/tmp"]);
    expect(seconds(portico.stop_grace_period) * 1000).toBeGreaterThan(loadConfig({}).shutdown.timeoutMs);
  });

  it("builds on the Dockerfile's default base, node:20-slim, which NODE_IMAGE replaces", () => {
    expect(DOCKERFILE).toMatch(/^ARG NODE_IMAGE=node:20-slim$/m);
    expect(portico.build.args.NODE_IMAGE).toBe("node:20-slim");
    expect(
      composeFile({ NODE_IMAGE: "mirror.example/node:20-slim" }).services.portico.build.args.NODE_IMAGE,
    ).toBe("mirror.example/node:20-slim");
  });

  it("gives Portico settings it accepts: the postgres service's database and credentials", () => {
    for (const vars of [{}, { POSTGRES_PASSWORD: "s3cret" }]) {
      const c = composeFile(vars);
      const env = composePorticoEnv(vars);
      for (const name of Object.keys(env)) expect(SETTING_NAMES, name).toContain(name);
      const db = new URL(env.PORTICO_DATABASE_URL!);
      expect(db.hostname).toBe("postgres");
      expect(db.port).toBe("5432");
      expect(decodeURIComponent(db.username)).toBe(c.services.postgres.environment.POSTGRES_USER);
      expect(decodeURIComponent(db.password)).toBe(c.services.postgres.environment.POSTGRES_PASSWORD);
      expect(db.pathname).toBe(`/${c.services.postgres.environment.POSTGRES_DB}`);
      // What Portico in the container reads: the image's environment, then compose's.
      const config = loadConfig({ ...imageEnv(), ...env });
      expect(config.host).toBe("0.0.0.0");
      expect(config.publicUrl).toBe("http://localhost:4000");
    }
    expect(composePorticoEnv({}).PORTICO_DATABASE_URL).toBe(
      "postgres://portico:portico@postgres:5432/portico",
    );
  });

  it("takes the keyring from PORTICO_ENCRYPTION_KEYS, or from a secret file", () => {
    const key = `k1:${Buffer.alloc(32, 1).toString("base64")}`;
    // Unset: Portico generates a keyring into the data volume.
    expect(loadConfig({ ...imageEnv(), ...composePorticoEnv({}) }).encryptionKeys).toBeUndefined();
    const fromEnv = composePorticoEnv({ PORTICO_ENCRYPTION_KEYS: key });
    expect(loadConfig({ ...imageEnv(), ...fromEnv }).encryptionKeys).toBe(key);
    // The documented override mounts a secret and points PORTICO_ENCRYPTION_KEYS_FILE at it.
    const override = yamlBlocks().find((b) => b.startsWith("# compose.override.yaml"));
    expect(override, "docs/deployment.md shows compose.override.yaml").toBeTruthy();
    const o = YAML.parse(override!);
    const [secret] = o.services.portico.secrets as string[];
    expect(o.secrets[secret!].file).toBeTruthy();
    expect(o.services.portico.environment.PORTICO_ENCRYPTION_KEYS_FILE).toBe(`/run/secrets/${secret}`);
    expect(Object.keys(composePorticoEnv({}))).toContain("PORTICO_ENCRYPTION_KEYS_FILE");
  });
});

/** The ```yaml blocks of docs/deployment.md. */
const yamlBlocks = () => [...DOCS.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("docs/deployment.md on compose.yaml", () => {
  const compose = composeFile();

  it("names its services, volumes, health checks and settings", () => {
    const section = DOCS.slice(DOCS.indexOf("## Docker Compose"), DOCS.indexOf("## Several nodes"));
    expect(section).toContain("docker compose up");
    for (const service of Object.keys(compose.services)) expect(section).toContain(`\`${service}\``);
    for (const volume of Object.keys(compose.volumes)) expect(section).toContain(`\`${volume}\``);
    expect(section).toContain(compose.services.postgres.image);
    expect(section).toContain(compose.services.postgres.healthcheck.test[1]);
    expect(section).toContain(compose.services.portico.healthcheck.test.slice(1).join(" "));
    expect(section).toContain(`stop_grace_period: ${compose.services.portico.stop_grace_period}`);
    expect(section).toContain(compose.services.portico.ports[0].split(":").slice(0, 2).join(":"));
    // Every variable compose.yaml reads from the shell or .env is documented, with its default.
    const text = fs.readFileSync(path.join(ROOT, "compose.yaml"), "utf8");
    for (const [, name, fallback] of text.matchAll(/\$\{(\w+)(?::-([^}]*))?\}/g)) {
      const row = section.split("\n").find((l) => l.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeTruthy();
      if (fallback) expect(row).toContain(`\`${fallback}\``);
    }
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own syntax, as the docs show it.
    const url = "postgres://portico:${POSTGRES_PASSWORD}@postgres:5432/portico";
    expect(section).toContain(`\`PORTICO_DATABASE_URL\` to \`${url}\``);
    expect(composePorticoEnv({ POSTGRES_PASSWORD: "x" }).PORTICO_DATABASE_URL).toBe(
      interpolate(url, { POSTGRES_PASSWORD: "x" }),
    );
  });

  it("shows compose files and snippets that parse", () => {
    const blocks = yamlBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) expect(() => YAML.parse(b)).not.toThrow();
    const nodes = YAML.parse(blocks.find((b) => b.startsWith("# compose.nodes.yaml"))!);
    // Two nodes on one keyring, behind the proxy, each told about it.
    expect(Object.keys(nodes.services)).toEqual(["portico", "portico-2", "proxy"]);
    expect(nodes.services["portico-2"].environment).toEqual(nodes.services.portico.environment);
    expect(Object.keys(nodes.services.portico.environment)).toEqual(
      expect.arrayContaining(["PORTICO_ENCRYPTION_KEYS", "PORTICO_PUBLIC_URL", "PORTICO_TRUSTED_PROXIES"]),
    );
    expect(DOCS).toMatch(/health_uri \/readyz/);
  });
});
