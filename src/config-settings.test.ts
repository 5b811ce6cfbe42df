import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, effectiveSettings, loadConfig, maskSetting, readSettings } from "./config.js";

const dirs: string[] = [];
/** A working directory holding the given files. */
function workdir(files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-settings-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const KEY = Buffer.alloc(32, 7).toString("base64");

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("no ConfigError");
}

describe("readSettings: the environment over the .env file", () => {
  it("reads PORTICO_* settings from .env in the working directory, and the environment wins", () => {
    const dir = workdir({
      ".env": "PORTICO_PORT=4100\nPORTICO_LOG_LEVEL=debug\nPOSTGRES_PASSWORD=compose-only\n",
    });
    const s = readSettings({ PORTICO_LOG_LEVEL: "warn", HOME: "/root" }, dir);
    expect(s.file).toBe(path.join(dir, ".env"));
    expect(s.values).toEqual({ PORTICO_PORT: "4100", PORTICO_LOG_LEVEL: "warn" });
    expect(s.sources.get("PORTICO_PORT")).toEqual({ kind: "file", file: path.join(dir, ".env"), line: 1 });
    expect(s.sources.get("PORTICO_LOG_LEVEL")).toEqual({ kind: "environment" });
    // Other variables of the file (Compose's own) are left alone, and so is the rest of the environment.
    expect(s.sources.has("POSTGRES_PASSWORD")).toBe(false);
    expect(s.sources.has("HOME")).toBe(false);
  });

  it("lets a variable set empty in the environment win over the file, as dotenv and Compose do", () => {
    const dir = workdir({ ".env": "PORTICO_PUBLIC_URL=https://from-file.example.com\n" });
    const s = readSettings({ PORTICO_PUBLIC_URL: "" }, dir);
    expect(s.values.PORTICO_PUBLIC_URL).toBe("");
    expect(loadConfig(s.values).publicUrl).toBe("http://localhost:4000");
  });

  it("reads the file PORTICO_ENV_FILE names, relative to the working directory; empty reads none", () => {
    const dir = workdir({ ".env": "PORTICO_PORT=1111\n", "prod.env": "PORTICO_PORT=2222\n" });
    expect(readSettings({ PORTICO_ENV_FILE: "prod.env" }, dir).values.PORTICO_PORT).toBe("2222");
    const none = readSettings({ PORTICO_ENV_FILE: "" }, dir);
    expect(none.file).toBeNull();
    expect(none.values.PORTICO_PORT).toBeUndefined();
    expect(readSettings({}, workdir()).file).toBeNull();
    expect(problemsOf(() => readSettings({ PORTICO_ENV_FILE: "missing.env" }, dir))).toEqual([
      `PORTICO_ENV_FILE: cannot read ${path.join(dir, "missing.env")} (ENOENT)`,
    ]);
  });

  it("refuses a PORTICO_ name that is no setting (a typo), and a file that names another file", () => {
    const dir = workdir({ ".env": "PORTICO_PROT=4100\nPORTICO_ENV_FILE=other.env\n" });
    const file = path.join(dir, ".env");
    expect(problemsOf(() => readSettings({}, dir))).toEqual([
      `${file}:1: PORTICO_PROT is not a Portico setting`,
      `${file}:2: PORTICO_ENV_FILE names the file from outside it, in the environment`,
    ]);
  });

  it("says which line of the file holds a bad value", () => {
    const dir = workdir({ ".env": "# ports\nPORTICO_PORT=seventy\n" });
    const settings = readSettings({}, dir);
    expect(problemsOf(() => effectiveSettings(settings))).toEqual([
      `PORTICO_PORT: must be an integer between 0 and 65535 (${path.join(dir, ".env")}:2)`,
    ]);
  });
});

describe("the keyring from a file (a Docker or Kubernetes secret)", () => {
  it("reads PORTICO_ENCRYPTION_KEYS_FILE, and refuses it beside PORTICO_ENCRYPTION_KEYS or unreadable", () => {
    const dir = workdir({ keyring: `k2:${KEY}\n`, bad: "k2:short\n" });
    expect(loadConfig({ PORTICO_ENCRYPTION_KEYS_FILE: path.join(dir, "keyring") }).encryptionKeys).toBe(
      `k2:${KEY}`,
    );
    expect(
      problemsOf(() =>
        loadConfig({
          PORTICO_ENCRYPTION_KEYS_FILE: path.join(dir, "keyring"),
          PORTICO_ENCRYPTION_KEYS: `k1:${KEY}`,
        }),
      ),
    ).toEqual(["PORTICO_ENCRYPTION_KEYS_FILE: set it or PORTICO_ENCRYPTION_KEYS, not both"]);
    expect(problemsOf(() => loadConfig({ PORTICO_ENCRYPTION_KEYS_FILE: path.join(dir, "bad") }))).toEqual([
      `PORTICO_ENCRYPTION_KEYS_FILE: ${path.join(dir, "bad")}: key k2 must be 32 bytes, base64`,
    ]);
    expect(problemsOf(() => loadConfig({ PORTICO_ENCRYPTION_KEYS_FILE: path.join(dir, "none") }))).toEqual([
      `PORTICO_ENCRYPTION_KEYS_FILE: ${path.join(dir, "none")}: ENOENT`,
    ]);
  });
});

describe("effectiveSettings: what `portico config` prints", () => {
  it("lists every setting with its effective value and source, secrets masked", () => {
    const dir = workdir({
      ".env": `PORTICO_DATABASE_URL=postgres://portico:hunter2@db:5432/portico\nPORTICO_ENCRYPTION_KEYS=k1:${KEY},k0:${KEY}\n`,
    });
    const rows = effectiveSettings(readSettings({ PORTICO_PORT: "4100", PORTICO_DATA_DIR: "state" }, dir));
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    const file = path.join(dir, ".env");
    expect(by.PORTICO_PORT).toEqual({
      name: "PORTICO_PORT",
      value: "4100",
      source: { kind: "environment" },
      secret: false,
    });
    // Derived defaults show what Portico will use.
    expect(by.PORTICO_PUBLIC_URL).toMatchObject({
      value: "http://localhost:4100",
      source: { kind: "default" },
    });
    expect(by.PORTICO_DATA_DIR!.value).toBe(path.resolve("state"));
    expect(by.PORTICO_BODY_LIMIT_BYTES).toMatchObject({ value: "102400", source: { kind: "default" } });
    expect(by.PORTICO_SANDBOX!.value).toBe("true");
    expect(by.PORTICO_DATABASE_URL).toEqual({
      name: "PORTICO_DATABASE_URL",
      value: "postgres://portico:********@db:5432/portico",
      source: { kind: "file", file, line: 1 },
      secret: true,
    });
    expect(by.PORTICO_ENCRYPTION_KEYS).toMatchObject({ value: "k1:********,k0:********", secret: true });
    expect(JSON.stringify(rows)).not.toContain(KEY);
    expect(JSON.stringify(rows)).not.toContain("hunter2");
    expect(by.PORTICO_ENV_FILE!.value).toBe(file);
    // Every setting of the schema is there, once.
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    expect(rows.length).toBeGreaterThan(50);
  });

  it("masks passwords in any URL and whole values of secret-named settings", () => {
    expect(maskSetting("PORTICO_X_URL", "postgresql://u:p@h/db?password=q&ssl=1")).toBe(
      "postgresql://u:********@h/db?password=********&ssl=1",
    );
    expect(maskSetting("PORTICO_WEBHOOK_SECRET", "abc")).toBe("********");
    expect(maskSetting("PORTICO_ENCRYPTION_KEYS", "(none: the keyring file /d/keyring)")).toBe(
      "(none: the keyring file /d/keyring)",
    );
  });
});
