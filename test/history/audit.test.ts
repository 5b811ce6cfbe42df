import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditView } from "../../src/history/service.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { portico } from "../helpers/processes.js";
import { startReceiver } from "../helpers/receiver.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/** The audit log: configuration changes by API keys and operators, and `portico audit list`. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`audit log on ${dialect}`, () => {
    let s: TestServer;
    let env: Record<string, string>;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      env = {
        PORTICO_DATABASE_URL: s.config.databaseUrl,
        PORTICO_DATA_DIR: s.config.dataDir,
        PORTICO_LOG_LEVEL: "warn",
        PORTICO_ALLOW_PRIVATE_NETWORKS: "true",
      };
    });
    afterAll(() => s?.close());

    const cli = async (args: string[]) => {
      const r = await portico(args, env);
      if (r.code !== 0) throw new Error(`portico ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
      return r.stdout;
    };
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${s.url}/portico/v1${path}`, {
        method,
        headers: {
          authorization: basic(s.apiKey),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it("records API-key and operator changes with actor and time, never a secret", async () => {
      const receiver = await startReceiver();
      try {
        const since = new Date().toISOString();
        const created = await (
          await api("POST", "/webhooks", { url: receiver.url, events: ["account.created"] })
        ).json();
        const rotated = await (await api("POST", `/webhooks/${created.id}/rotate-secret`)).json();
        expect((await api("POST", "/webhooks/replay", { since })).status).toBe(202);
        expect((await api("DELETE", `/webhooks/${created.id}`)).status).toBe(200);
        await cli([
          "integrations",
          "enable",
          "--provider",
          "hubspot",
          "--client-id",
          "hub-client",
          "--client-secret",
          "hub-secret-value",
          "--json",
        ]);
        const key = JSON.parse(
          await cli(["api-keys", "create", "--project", s.projectId, "--name", "ci", "--json"]),
        );
        await cli(["api-keys", "revoke", key.id, "--json"]);

        const out = await cli(["audit", "list", "--since", since, "--json"]);
        const entries = JSON.parse(out) as AuditView[];
        expect(entries.map((e) => e.action)).toEqual([
          "api_key.revoked",
          "api_key.created",
          "integration.enabled",
          "webhook.removed",
          "webhook.replayed",
          "webhook.secret_rotated",
          "webhook.created",
        ]);
        const keyId = (await s.ctx.tenancy.listApiKeys(s.projectId))[0]!.id;
        for (const e of entries.slice(3)) {
          expect(e.actor).toMatchObject({ type: "api_key", id: keyId });
          expect(e.target_id === created.id || e.action === "webhook.replayed").toBe(true);
        }
        for (const e of entries.slice(0, 3)) expect(e.actor).toMatchObject({ type: "operator", id: "cli" });
        expect(entries.every((e) => e.project_id === s.projectId)).toBe(true);
        expect(entries[2]!.detail).toEqual({ client_id: "hub-client", client_secret: "replaced" });
        expect(entries[6]!.detail).toEqual({ url: receiver.url, events: ["account.created"] });
        for (const secret of [created.secret, rotated.secret, "hub-secret-value", key.api_key, s.apiKey])
          expect(out).not.toContain(secret);
        const times = entries.map((e) => Date.parse(e.created_at));
        expect(times.every((t) => t >= Date.parse(since))).toBe(true);
      } finally {
        await receiver.close();
      }
    });

    it("filters by time span, project, actor and target, and says what a bad --since is", async () => {
      const all = JSON.parse(await cli(["audit", "list", "--since", "1h", "--json"])) as AuditView[];
      expect(all.length).toBeGreaterThan(0);
      expect(JSON.parse(await cli(["audit", "list", "--until", "2000-01-01T00:00:00Z", "--json"]))).toEqual(
        [],
      );
      const other = await s.ctx.tenancy.createProject({ name: "Quiet" });
      const quiet = JSON.parse(
        await cli(["audit", "list", "--project", other.project_id, "--json"]),
      ) as AuditView[];
      expect(quiet.map((e) => e.action)).toEqual(["project.created"]);
      const byCli = JSON.parse(await cli(["audit", "list", "--actor", "cli", "--json"])) as AuditView[];
      expect(byCli.length).toBeGreaterThan(0);
      expect(byCli.every((e) => e.actor.id === "cli")).toBe(true);
      const hub = JSON.parse(await cli(["audit", "list", "--target", "hubspot", "--json"])) as AuditView[];
      expect(hub.map((e) => e.action)).toEqual(["integration.enabled"]);
      const full = JSON.parse(await cli(["audit", "list", "--json"])) as AuditView[];
      const two = JSON.parse(await cli(["audit", "list", "--limit", "2", "--json"])) as AuditView[];
      expect(two.map((e) => e.id)).toEqual(full.slice(0, 2).map((e) => e.id));
      const human = await cli(["audit", "list", "--since", "1h"]);
      expect(human).toMatch(/api_key\.revoked/);
      const bad = await portico(["audit", "list", "--since", "yesterday"], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--since must be an ISO date-time .* or a span such as 24h or 7d/);
    });
  });
}
