import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

const SUCCESSES = 600;
const FAILURES = 30;
const SESSIONS = 7;

/**
 * PORTICO_REQUEST_LOG: `errors` keeps the failed calls only, `sample:<n>` the failed ones and
 * about one in n of the others, `off` nothing; the console's daily counters stay exact in every
 * case, since they never come from the log's rows.
 */
for (const dialect of DIALECTS) {
  for (const volume of ["errors", "sample:4", "off"] as const) {
    describe.skipIf(!dialectAvailable(dialect))(`PORTICO_REQUEST_LOG=${volume} on ${dialect}`, () => {
      let s: TestServer;
      let logged: { status: number; path: string }[] = [];

      beforeAll(async () => {
        s = await startTestServer(dialect, { PORTICO_REQUEST_LOG: volume });
        const auth = { authorization: basic(s.apiKey) };
        for (let i = 0; i < SESSIONS; i++) {
          const session = await createSession(s, { origin_owner_id: `vol-${i}`, origin_owner_name: "Vol" });
          if (i === 0) await linkSandboxHris(s, session.token);
        }
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            for (let i = next++; i < SUCCESSES + FAILURES; i = next++) {
              const res = await fetch(`${s.url}/accounts${i < FAILURES ? "/acc_missing" : "?page_size=1"}`, {
                headers: auth,
              });
              await res.arrayBuffer();
              expect(res.status).toBe(i < FAILURES ? 404 : 200);
            }
          }),
        );
        await s.ctx.history.flush();
        // Read straight from the store: reading through the API would log more calls.
        logged = await s.ctx.history.log.list(s.projectId, {}, "eventDatetime", "desc", 10_000);
      });
      afterAll(() => s?.close());

      it("keeps what it says", () => {
        const failed = logged.filter((l) => l.status >= 400);
        const succeeded = logged.filter((l) => l.status < 400);
        if (volume === "off") {
          expect(logged).toEqual([]);
          return;
        }
        expect(failed).toHaveLength(FAILURES);
        expect(failed.every((l) => l.path === "/accounts/acc_missing")).toBe(true);
        if (volume === "errors") expect(succeeded).toEqual([]);
        else {
          // One in 4 of 607 successes at random (the sessions too): 152 on average, 10.7 standard
          // deviations either way; this range is five of them.
          expect(succeeded.length).toBeGreaterThan(98);
          expect(succeeded.length).toBeLessThan(206);
        }
      });

      it("keeps the daily counters exact", async () => {
        const [today] = (await s.ctx.history.perDay(s.projectId, 1)).slice(-1);
        expect(today).toMatchObject({ sessions_opened: SESSIONS, accounts_linked: 1 });
      });
    });
  }
}
