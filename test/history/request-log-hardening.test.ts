import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleFetch, signIn } from "../helpers/console.js";
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

    it("counts calls refused with 429 per key and minute instead of writing a row each", async () => {
      const project = (await s.ctx.tenancy.createProject({ name: "Limited" })).project_id;
      const key = await s.ctx.tenancy.createApiKey(project);
      await s.ctx.tenancy.updateProject(project, { rateLimitPerMinute: 3 });
      const statuses: number[] = [];
      for (let i = 0; i < 40; i++) statuses.push((await get(key.api_key, "/accounts")).status);
      const refused = statuses.filter((x) => x === 429).length;
      expect(refused).toBeGreaterThanOrEqual(37);
      expect(statuses.filter((x) => x === 200).length).toBe(40 - refused);
      await s.ctx.history.flush();

      // Not one row per refused call (reading the log is limited too: from the database).
      const rows = await s.ctx.history.log.list(project, {}, "eventDatetime", "desc", 1000);
      expect(rows.map((r) => r.status)).toEqual(Array(40 - refused).fill(200));
      // Counted for the key's minute(s), and shown in the console.
      const counts = await s.ctx.history.listRefused(project, { from: Date.now() - 120_000, to: Date.now() });
      expect(counts.every((c) => c.key_id === key.id)).toBe(true);
      expect(counts.reduce((n, c) => n + c.count, 0)).toBe(refused);
      const cookie = await signIn(s);
      const overview = await consoleFetch(s, cookie, "GET", `/projects/${project}/overview`);
      expect(((await overview.json()) as { refused_last_24h: number }).refused_last_24h).toBe(refused);
      const page = await consoleFetch(s, cookie, "GET", `/projects/${project}/logs/refused?key_id=${key.id}`);
      expect(page.status).toBe(200);
      const data = ((await page.json()) as { data: { key_id: string; minute: string; count: number }[] })
        .data;
      expect(data.reduce((n, c) => n + c.count, 0)).toBe(refused);
      expect(data[0]!.minute).toMatch(/:00\.000Z$/);
    });

    const cursor = (...values: unknown[]) => Buffer.from(JSON.stringify(values)).toString("base64url");
    type Part = "time" | "int" | "text";
    const BAD: Record<Part, unknown[]> = {
      time: ["abc", 1.5, 1e300, -1, "1", null, true],
      int: ["abc", 2.5, 1e300, 2 ** 31, "7", null],
      text: [1, "x\u0000y", "y".repeat(5000), null, {}],
    };
    /** Cursors of the right list and ordering whose values do not fit their columns. */
    const tampered = (scope: string, ...shape: Part[]) => {
      const good = shape.map((p) => (p === "text" ? "x" : 5));
      const out: string[] = [];
      shape.forEach((p, i) => {
        for (const b of BAD[p]) out.push(cursor(scope, ...good.map((g, j) => (j === i ? b : g))));
      });
      return out;
    };

    it("answers a tampered Request Logs cursor with a 400 naming next, whatever the ordering", async () => {
      const orders: [string, string, ...Part[]][] = [
        ["", "requests:eventDatetime:desc", "time", "text"],
        ["&order_by=duration&order_direction=asc", "requests:duration:asc", "int", "text"],
        ["&order_by=status", "requests:status:desc", "int", "text"],
        ["&order_by=provider", "requests:provider:desc", "text", "text"],
        ["&order_by=service&order_direction=asc", "requests:service:asc", "text", "text"],
      ];
      for (const [query, scope, ...shape] of orders) {
        for (const next of [...tampered(scope, ...shape), cursor(scope, 1), "%%%", "bm90IGpzb24"]) {
          const res = await get(s.apiKey, `/requests/logs?next=${encodeURIComponent(next)}${query}`);
          const body = (await res.json()) as { statusCode: number; message: string };
          expect(res.status, `${scope} ${Buffer.from(next, "base64url").toString()}`).toBe(400);
          expect(body.message).toMatch(/^next: /);
        }
      }
      // A cursor the API gave still works.
      const first = await get(s.apiKey, "/requests/logs?page_size=1&order_by=duration");
      const { next } = (await first.json()) as { next: string };
      expect((await get(s.apiKey, `/requests/logs?page_size=1&order_by=duration&next=${next}`)).status).toBe(
        200,
      );
    });

    it("answers tampered console cursors with a 400 naming the parameter", async () => {
      const cookie = await signIn(s);
      const p = `/projects/${s.projectId}`;
      const lists: [string, string, string, ...Part[]][] = [
        [`${p}/accounts?`, "cursor", "accounts:newest", "time", "text"],
        [`${p}/accounts?q=ac&`, "cursor", "accounts:owner-id:ac", "text", "time", "text"],
        [`${p}/accounts?q=ac&`, "cursor", "accounts:owner-name:ac", "text", "text"],
        [`${p}/logs/events?`, "next", "events", "time", "text"],
        [`${p}/logs/audit?`, "next", `audit:${s.projectId}`, "time", "text"],
        [`${p}/accounts/acc_x/events?`, "next", "events", "time", "text"],
        [`${p}/accounts/acc_x/requests?`, "next", "requests:eventDatetime:desc", "time", "text"],
        [`${p}/logs/requests?`, "next", "requests:eventDatetime:desc", "time", "text"],
      ];
      for (const [path, field, scope, ...shape] of lists) {
        for (const c of tampered(scope, ...shape)) {
          const res = await consoleFetch(s, cookie, "GET", `${path}${field}=${encodeURIComponent(c)}`);
          expect(res.status, `${path} ${Buffer.from(c, "base64url").toString()}`).toBe(400);
          expect(((await res.json()) as { message: string }).message).toMatch(new RegExp(`^${field}: `));
        }
      }
    });
  });
}
