import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectSessionTokenAuthLink } from "../../src/sessions/schemas.js";
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { type CliResult, firstStartKey, portico, spawnServe } from "../helpers/processes.js";

/** A command's --json output, or a failure that shows what the command said. */
function jsonOf(r: CliResult) {
  if (r.code !== 0 || !r.stdout.trim())
    throw new Error(`portico exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout);
}

import { basic } from "../helpers/test-server.js";

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`portico CLI on ${dialect}`, () => {
    let db: TestDatabase;
    let env: Record<string, string>;
    beforeAll(async () => {
      db = await createTestDatabase(dialect);
      env = {
        PORTICO_DATABASE_URL: db.url,
        PORTICO_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "portico-cli-")),
        PORTICO_LOG_LEVEL: "warn",
      };
    });
    afterAll(async () => {
      await db?.drop();
      if (env) fs.rmSync(env.PORTICO_DATA_DIR!, { recursive: true, force: true });
    });

    it("migrates, initializes once, and chains create commands through --json", async () => {
      const m = await portico(["migrate", "--json"], env);
      expect(m.code).toBe(0);
      expect(JSON.parse(m.stdout).applied).toContain("001_foundation");

      const init = await portico(["init", "--json"], env);
      expect(init.code, init.stderr).toBe(0);
      const first = JSON.parse(init.stdout);
      expect(Object.keys(first).sort()).toEqual(["api_key", "organization_id", "project_id"]);
      expect(typeof first.organization_id).toBe("number");

      const again = await portico(["init", "--json"], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already initialized/);

      const project = JSON.parse(
        (await portico(["projects", "create", "--name", "Second", "--json"], env)).stdout,
      );
      expect(project.project_id).toMatch(/^proj_/);
      const key = JSON.parse(
        (await portico(["api-keys", "create", "--project", project.project_id, "--json"], env)).stdout,
      );
      expect(key.api_key).toMatch(/^sk_/);
      expect(key.project_id).toBe(project.project_id);

      const projects = jsonOf(await portico(["projects", "list", "--json"], env));
      expect(projects.map((p: { project_id: string }) => p.project_id)).toEqual([
        first.project_id,
        project.project_id,
      ]);

      const keys = JSON.parse(
        (await portico(["api-keys", "list", "--project", project.project_id, "--json"], env)).stdout,
      );
      expect(keys).toHaveLength(1);
      expect(keys[0].id).toBe(key.id);
      expect(JSON.stringify(keys)).not.toContain(key.api_key);

      const session = JSON.parse(
        (
          await portico(
            [
              "sessions",
              "create",
              "--project",
              project.project_id,
              "--origin-owner-id",
              "c1",
              "--origin-owner-name",
              "Acme",
              "--categories",
              "hris,ats",
              "--json",
            ],
            env,
          )
        ).stdout,
      );
      expect(session.project_id).toBe(project.project_id);
      expect(session.categories).toEqual(["hris", "ats"]);
      // The newest contract's types, as the HTTP API answers it: organization_id a numeric string.
      expect(session.organization_id).toBe(String(first.organization_id));
      const contract = ConnectSessionTokenAuthLink.safeParse(session);
      expect(contract.error?.issues ?? []).toEqual([]);
      expect(session.auth_link_url).toContain(session.token);

      // Wire profiles: a project pins one, a key overrides it, `auto`/`project` undo either.
      const pinned = jsonOf(
        await portico(
          ["projects", "update", project.project_id, "--wire-profile", "typescript@4.28", "--json"],
          env,
        ),
      );
      expect(pinned).toMatchObject({ project_id: project.project_id, wire_profile: "typescript@4.28.0" });
      const keyPinned = jsonOf(
        await portico(["api-keys", "update", key.id, "--wire-profile", "PHP@0.25", "--json"], env),
      );
      expect(keyPinned).toMatchObject({ id: key.id, wire_profile: "php@0.25.0" });
      expect(
        jsonOf(await portico(["api-keys", "update", key.id, "--wire-profile", "project", "--json"], env)),
      ).toMatchObject({ wire_profile: "project" });
      expect(
        jsonOf(
          await portico(["projects", "update", project.project_id, "--wire-profile", "auto", "--json"], env),
        ),
      ).toMatchObject({ wire_profile: "auto" });

      const revoked = jsonOf(await portico(["api-keys", "revoke", key.id, "--json"], env));
      expect(revoked.revoked_at).not.toBeNull();
    });

    it("manages integrations and webhook endpoints per project", async () => {
      const [project] = jsonOf(await portico(["projects", "list", "--json"], env));
      const p = ["--project", project.project_id];
      const enabled = JSON.parse(
        (await portico(["integrations", "enable", "--provider", "bamboohr", ...p, "--json"], env)).stdout,
      );
      expect(enabled).toMatchObject({ provider: "bamboohr", active: true });
      const active = JSON.parse(
        (await portico(["integrations", "list", "--active", ...p, "--json"], env)).stdout,
      );
      expect(active.map((i: { provider: string }) => i.provider)).toContain("bamboohr");

      const wenv = { ...env, PORTICO_ALLOW_PRIVATE_NETWORKS: "true" };
      const added = JSON.parse(
        (
          await portico(
            [
              "webhooks",
              "add",
              ...p,
              "--url",
              "http://127.0.0.1:9/hooks",
              "--events",
              "account.created",
              "--json",
            ],
            wenv,
          )
        ).stdout,
      );
      expect(added.id).toMatch(/^we_/);
      expect(added.secret).toMatch(/^whsec_/);
      expect(added.events).toEqual(["account.created"]);
      const rotated = JSON.parse(
        // Two projects exist by now: the endpoint id alone names its project.
        (await portico(["webhooks", "rotate-secret", added.id, "--json"], wenv)).stdout,
      );
      expect(rotated.secret).not.toBe(added.secret);
      const listed = (await portico(["webhooks", "list", ...p, "--json"], wenv)).stdout;
      expect(JSON.parse(listed).map((e: { id: string }) => e.id)).toEqual([added.id]);
      expect(listed).not.toContain(rotated.secret);
      expect(jsonOf(await portico(["webhooks", "remove", added.id, ...p, "--json"], wenv)).id).toBe(added.id);
      const refused = await portico(["webhooks", "add", ...p, "--url", "http://127.0.0.1:9/hooks"], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/url: .*private address/);
    });

    it("rotates the encryption key: generate --write, rotate, status", async () => {
      // Any command opens the database once, which writes the keyring file on a first use.
      expect((await portico(["projects", "list", "--json"], env)).code).toBe(0);
      const plain = jsonOf(await portico(["keys", "generate", "--json"], env));
      expect(plain.key).toMatch(/^k[0-9a-z]+:[A-Za-z0-9+/]{43}=$/);
      const gen = jsonOf(await portico(["keys", "generate", "--write", "--json"], env));
      expect(gen.file).toBe(path.join(env.PORTICO_DATA_DIR!, "keyring"));
      const rotated = jsonOf(await portico(["keys", "rotate", "--json"], env));
      expect(rotated.primary).toBe(gen.key_id);
      const check = rotated.columns.find((c: { column: string }) => c.column === "meta.value");
      expect(check).toMatchObject({ rotated: 1, unreadable: 0 });
      const status = jsonOf(await portico(["keys", "status", "--json"], env));
      expect(status.primary).toBe(gen.key_id);
      expect(status.usage.length).toBeGreaterThan(0);
      for (const u of status.usage) expect(u.key_id).toBe(gen.key_id);
      // The database still opens, under the new key.
      expect((await portico(["projects", "list", "--json"], env)).code).toBe(0);
    });

    it("explains bad input and bad configuration without a stack trace", async () => {
      const bad = await portico(
        ["sessions", "create", "--project", "proj_x", "--origin-owner-id", "c1", "--origin-owner-name", "A"],
        env,
      );
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/project proj_x not found/);
      const cat = await portico(
        [
          "sessions",
          "create",
          "--origin-owner-id",
          "c1",
          "--origin-owner-name",
          "A",
          "--categories",
          "hrisLegacy",
        ],
        env,
      );
      expect(cat.code).toBe(1);
      expect(cat.stderr).toMatch(/categories\.0/);
      const profile = await portico(["projects", "update", "proj_x", "--wire-profile", "auto"], env);
      expect(profile.code).toBe(1);
      expect(profile.stderr).toMatch(/project proj_x not found/);
      const projects = jsonOf(await portico(["projects", "list", "--json"], env));
      const wrong = await portico(
        ["projects", "update", projects[0].project_id, "--wire-profile", "4.28"],
        env,
      );
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(
        /wire_profile: must be auto, latest, typescript@<version>, php@<version> or java@<version>/,
      );
      const conf = await portico(["projects", "list"], {
        ...env,
        PORTICO_PORT: "x",
        PORTICO_LOG_LEVEL: "loud",
      });
      expect(conf.code).toBe(1);
      expect(conf.stderr).toMatch(/PORTICO_PORT/);
      expect(conf.stderr).toMatch(/PORTICO_LOG_LEVEL/);
      expect(conf.stderr).not.toMatch(/at .*\.ts:\d+/);
    });
  });

  describe.skipIf(!dialectAvailable(dialect))(`first start on ${dialect}`, () => {
    it("prints a key and a working curl once, and neither on later starts", async () => {
      const db = await createTestDatabase(dialect);
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-serve-"));
      // Colours forced on, as in a CI log or a terminal: the key and the curl must still copy clean.
      const env = {
        PORTICO_DATABASE_URL: db.url,
        PORTICO_DATA_DIR: dataDir,
        PORTICO_LOG_LEVEL: "info",
        FORCE_COLOR: "1",
      };
      try {
        const first = await spawnServe(env);
        const out = first.output();
        expect(out, "colours were forced on").toContain("\u001b[");
        const key = firstStartKey(out);
        expect(key, out).toBeDefined();
        expect(out).toContain(`curl -s -u '${key}:'`);
        expect(out).toContain(`${new URL(first.url).port}/connect_sessions`);
        const res = await fetch(`${first.url}/connect_sessions`, {
          method: "POST",
          headers: { authorization: basic(key!), "content-type": "application/json" },
          body: JSON.stringify({ origin_owner_id: "customer-1", origin_owner_name: "Acme Inc" }),
        });
        expect(res.status).toBe(201);
        expect(await first.stop()).toBe(0);
        expect(first.output()).not.toContain("unhandled");

        const second = await spawnServe(env);
        expect(second.output()).not.toContain("API key");
        expect(second.output()).not.toMatch(/sk_[A-Za-z0-9_-]{20,}/);
        await second.stop();
      } finally {
        await db.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  });
}
