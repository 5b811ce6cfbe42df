import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lintCatalog } from "../../src/catalog/lint.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, hubFetch } from "../helpers/hub.js";
import { freePort } from "../helpers/processes.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

const TOKEN = "tok-SECRET-4242";
const LOGO = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><rect width="8" height="8"/></svg>';

/**
 * A private catalog entry that puts a secret field into its base URL (which `catalog lint`
 * refuses): the request log, the proxy's error bodies and verification errors never repeat the
 * secret, on either dialect (issue 18).
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`secrets in provider URLs on ${dialect}`, () => {
    let s: TestServer;
    let api: http.Server;
    let dir: string;
    let accountId: string;

    beforeAll(async () => {
      const port = await freePort();
      // The provider takes its token in the path, and answers 200 for /me and 404 elsewhere.
      api = http.createServer((req, res) => {
        const ok = req.url?.startsWith(`/t/${TOKEN}/`);
        res.writeHead(!ok ? 401 : req.url?.endsWith("/me") ? 200 : 404, {
          "content-type": "application/json",
        });
        res.end(JSON.stringify({ message: ok ? "here" : "bad token" }));
      });
      await new Promise<void>((r) => api.listen(port, "127.0.0.1", r));
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-secret-url-"));
      fs.mkdirSync(path.join(dir, "logos"));
      fs.writeFileSync(path.join(dir, "logos", "test.svg"), LOGO);
      fs.writeFileSync(
        path.join(dir, "test-path-token.yaml"),
        `key: test-path-token
name: Test Path Token
categories: [hris]
logo: test.svg
docs: http://127.0.0.1:${port}/docs
sources: [http://127.0.0.1:${port}/docs]
auth:
  scheme: api_key
  fields: [{ key: token, label: Token, type: password }]
api:
  base_url: http://127.0.0.1:${port}/t/{{token}}
  inject: { headers: { X-Note: "token in the path" } }
verify: { path: /me }
`,
      );
      s = await startTestServer(dialect, { PORTICO_CATALOG_DIRS: dir });
      await s.ctx.integrations.enable(s.projectId, "test-path-token");
      const session = await createSession(s, { origin_owner_id: "o", origin_owner_name: "O" });
      const wrong = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: { integration_id: "test-path-token", credentials: { token: `${TOKEN}-wrong` } },
      });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).not.toContain(TOKEN);
      const res = await hubFetch(s, session.token, "/accounts", {
        method: "POST",
        body: { integration_id: "test-path-token", credentials: { token: TOKEN } },
      });
      expect(res.status).toBe(201);
      accountId = ((await res.json()) as { id: string }).id;
    });
    afterAll(async () => {
      await s?.close();
      api?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const proxy = (body: unknown) =>
      fetch(`${s.url}/unified/proxy`, {
        method: "POST",
        headers: {
          authorization: basic(s.apiKey),
          "content-type": "application/json",
          "x-account-id": accountId,
        },
        body: JSON.stringify(body),
      });

    it("is refused by catalog lint, in the base URL and in any other URL", () => {
      const { problems } = lintCatalog({
        dir,
        icons: null,
        docsDir: null,
        allowLoopbackHttp: true,
        entriesOnly: true,
      });
      expect(problems.join("\n")).toMatch(/test-path-token\.yaml: api\.base_url: \{\{token\}\} is a secret/);
    });

    it("never reaches the request log, the proxy's error bodies or its logs", async () => {
      expect((await proxy({ method: "get", path: "/me" })).status).toBe(200);
      const missing = await proxy({ method: "get", path: "/missing" });
      expect(missing.status).toBe(404);
      const body = await missing.text();
      expect(body).not.toContain(TOKEN);
      expect(JSON.parse(body).provider_errors[0].url).toMatch(/\/t\/\[redacted\]\/missing$/);
      await s.ctx.history.flush();
      const logs = await fetch(`${s.url}/requests/logs?include=step_logs`, {
        headers: { authorization: basic(s.apiKey) },
      });
      const text = await logs.text();
      expect(text).toContain("[redacted]");
      expect(text).not.toContain(TOKEN);
    });
  });
}
