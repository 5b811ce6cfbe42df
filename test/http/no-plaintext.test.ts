import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { PG_URL } from "../helpers/env.js";
import { createSession, hubFetch, SANDBOX_HRIS_KEY } from "../helpers/hub.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

const ATS_PASSWORD = "sandbox-password";

/** After linking, the raw database (SQLite files and WALs, or a pg_dump) holds no credential in clear. */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`no plaintext credentials at rest on ${dialect}`, () => {
    let s: TestServer;
    let apiKeyTail: string;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      apiKeyTail = s.apiKey.slice(3);
      const hris = await createSession(s, { origin_owner_id: "p1", origin_owner_name: "P" });
      const res1 = await hubFetch(s, hris.token, "/accounts", {
        method: "POST",
        body: { integration_id: "sandbox-hris", credentials: { api_key: SANDBOX_HRIS_KEY } },
      });
      expect(res1.status).toBe(201);
      const ats = await createSession(s, { origin_owner_id: "p2", origin_owner_name: "P" });
      const res2 = await hubFetch(s, ats.token, "/accounts", {
        method: "POST",
        body: { integration_id: "sandbox-ats", credentials: { username: "demo", password: ATS_PASSWORD } },
      });
      expect(res2.status).toBe(201);
    });
    afterAll(() => s?.close());

    function rawDatabase(): string {
      if (dialect === "sqlite") {
        const file = s.config.databaseUrl.slice("file:".length);
        // The request log's own file beside it too.
        const log = file.replace(/\.db$/, "-requests.db");
        return [file, `${file}-wal`, log, `${log}-wal`]
          .filter((f) => fs.existsSync(f))
          .map((f) => fs.readFileSync(f).toString("latin1"))
          .join("\n");
      }
      const schema = new URL(s.config.databaseUrl).searchParams.get("options")!.split("search_path=")[1]!;
      return execFileSync("pg_dump", ["--data-only", `--schema=${schema}`, PG_URL], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
    }

    it("finds accounts in the dump but none of their secrets, API keys or session tokens", async () => {
      const raw = rawDatabase();
      expect(raw).toContain("sandbox-hris");
      expect(raw).toContain("sandbox-ats");
      for (const secret of [SANDBOX_HRIS_KEY, ATS_PASSWORD, apiKeyTail])
        expect(raw.includes(secret), secret).toBe(false);
    });
  });
}
