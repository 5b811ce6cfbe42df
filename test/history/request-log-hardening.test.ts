import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * What one request must never do to the request log (issue 18): stop it for every project, or
 * write a row per refused call.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`the request log under hostile requests on ${dialect}`, () => {
    let s: TestServer;
    let otherKey: string;
    let otherProject: string;

    beforeAll(async () => {
      s = await startTestServer(dialect);
      otherProject = (await s.ctx.tenancy.createProject({ name: "Other" })).project_id;
      otherKey = (await s.ctx.tenancy.createApiKey(otherProject)).api_key;
    });
    afterAll(() => s?.close());

    const get = (key: string, path: string) =>
      fetch(`${s.url}${path}`, { headers: { authorization: basic(key) } });
    const logged = async (key: string) => {
      const res = await get(key, "/requests/logs?page_size=1000");
      expect(res.status).toBe(200);
      return ((await res.json()) as { data: { path: string; account_id: string | null }[] }).data;
    };

    it("keeps writing for every project after a request whose path holds NUL", async () => {
      // PostgreSQL refuses the id itself (400), SQLite finds no such account (404).
      expect([400, 404]).toContain((await get(s.apiKey, "/accounts/x%00y")).status);
      await s.ctx.history.flush();
      expect((await get(s.apiKey, "/accounts/acc_after_nul")).status).toBe(404);
      expect((await get(otherKey, "/accounts/acc_other_project")).status).toBe(404);
      await createSession(s, { origin_owner_id: "nul", origin_owner_name: "After NUL" });
      await s.ctx.history.flush();

      const mine = await logged(s.apiKey);
      expect(mine.map((r) => r.account_id)).toEqual(expect.arrayContaining(["xy", "acc_after_nul"]));
      expect(mine.find((r) => r.account_id === "xy")?.path).toBe("/accounts/x%00y");
      expect((await logged(otherKey)).map((r) => r.account_id)).toContain("acc_other_project");
      // The daily counters go on too.
      const today = (await s.ctx.history.perDay(s.projectId, 1))[0]!;
      expect(today.sessions_opened).toBe(1);
      expect(s.ctx.history.requestLogStats).toMatchObject({ dropped: 0, refused: 0 });
    });
  });
}
