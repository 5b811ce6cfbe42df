import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createContext } from "../../src/context.js";
import { createTestDatabase, DIALECTS, dialectAvailable, type TestDatabase } from "../helpers/dialects.js";
import { type CliResult, portico } from "../helpers/processes.js";
import { SCRIPTED_KEY, type ScriptedProvider, startScriptedProvider } from "../helpers/scripted-provider.js";

/** Issue 21 at the command line: `accounts check`, scoped and expiring keys, the hosted page's settings. */
function jsonOf(r: CliResult) {
  if (!r.stdout.trim()) throw new Error(`portico exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return JSON.parse(r.stdout);
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`portico CLI for issue 21 on ${dialect}`, () => {
    let db: TestDatabase;
    let p: ScriptedProvider;
    let env: Record<string, string>;
    let projectId: string;
    let accountId: string;

    beforeAll(async () => {
      db = await createTestDatabase(dialect);
      p = await startScriptedProvider();
      env = {
        PORTICO_DATABASE_URL: db.url,
        PORTICO_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "portico-cli21-")),
        PORTICO_LOG_LEVEL: "warn",
        PORTICO_CATALOG_DIRS: p.catalogDir,
        PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
      };
      projectId = jsonOf(await portico(["init", "--json"], env)).project_id;
      // An account linked as the hub would link it, through the services.
      const ctx = await createContext(loadConfig(env), {
        logger: pino({ level: "silent" }),
        backgroundCheckpoints: false,
      });
      try {
        const principal = await ctx.tenancy.principalFor(projectId, "test");
        const made = await ctx.sessions.create(principal, {
          origin_owner_id: "cli-co",
          origin_owner_name: "CLI Co",
        });
        const session = (await ctx.sessions.resolve(made.token))!;
        const account = await ctx.accounts.linkFromSession(session, ctx.catalog.get("scripted-key")!, {
          api_key: SCRIPTED_KEY,
        });
        accountId = account.id;
      } finally {
        await ctx.close();
      }
    });
    afterAll(async () => {
      await db?.drop();
      await p?.close();
      if (env) fs.rmSync(env.PORTICO_DATA_DIR!, { recursive: true, force: true });
    });

    it("checks an account now: ok, then refused (exit code 2, account in error)", async () => {
      const ok = await portico(["accounts", "check", accountId, "--json"], env);
      expect(ok.code, ok.stderr).toBe(0);
      expect(jsonOf(ok)).toMatchObject({ account_id: accountId, result: "ok", status: "active" });
      p.keys.delete(SCRIPTED_KEY);
      const refused = await portico(["accounts", "check", accountId, "--json"], env);
      expect(refused.code).toBe(2);
      expect(jsonOf(refused)).toMatchObject({ result: "rejected", detail: "HTTP 401", status: "error" });
      const human = await portico(["accounts", "check", accountId], env);
      expect(human.stdout).toMatch(/rejected \(HTTP 401\); status error/);
    });

    it("creates a scoped, expiring key and lists its scope and expiry", async () => {
      const key = jsonOf(
        await portico(
          ["api-keys", "create", "--project", projectId, "--scope", "read", "--expires-in", "90d", "--json"],
          env,
        ),
      );
      expect(key.scopes).toBe("read");
      expect(Math.round((Date.parse(key.expires_at) - Date.now()) / 86_400_000)).toBe(90);
      const list = jsonOf(await portico(["api-keys", "list", "--project", projectId, "--json"], env));
      expect(list.find((k: { id: string }) => k.id === key.id)).toMatchObject({ scopes: "read" });
      const bad = await portico(["api-keys", "create", "--project", projectId, "--scope", "admin"], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--scope: "admin" is not a scope/);
    });

    it("sets the hosted page's brand and redirects", async () => {
      const logo = path.join(env.PORTICO_DATA_DIR!, "logo.svg");
      fs.writeFileSync(
        logo,
        '<svg viewBox="0 0 4 4"><script>x</script><rect width="4" height="4" fill="#0A7C5A"/></svg>',
      );
      const set = jsonOf(
        await portico(
          [
            "projects",
            "update",
            projectId,
            "--display-name",
            "Acme Payroll",
            "--logo",
            logo,
            "--accent-color",
            "#0a7c5a",
            "--support-url",
            "https://help.acme.example",
            "--allowed-origins",
            "https://app.acme.example",
            "--success-url",
            "https://app.acme.example/linked",
            "--json",
          ],
          env,
        ),
      );
      expect(set).toMatchObject({
        display_name: "Acme Payroll",
        accent_color: "#0A7C5A",
        allowed_origins: ["https://app.acme.example"],
        success_url: "https://app.acme.example/linked",
      });
      expect(set.logo_url).toMatch(/\/embedded\/brand\/proj_.+\/logo\?v=/);
      const refused = await portico(
        ["projects", "update", projectId, "--error-url", "https://other.example/x"],
        env,
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(
        /error_url: https:\/\/other\.example is not among the project's allowed origins/,
      );
    });
  });
}
