import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createTestDatabase,
  DIALECTS,
  dialectAvailable,
  type TestDatabase,
} from "../../test/helpers/dialects.js";
import { type Database, openDatabase } from "../db/database.js";
import { migrate } from "../db/migrations.js";
import { RateLimitCounters } from "../db/rate-limit-counters.js";
import { addressBucket } from "./client-address.js";
import { RateLimiter } from "./rate-limit.js";

/** Waits until both limiters have sent and read back everything they counted. */
async function settle(...limiters: RateLimiter[]) {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 30));
    for (const l of limiters) await (l as unknown as { exchanging: Promise<void> | null }).exchanging;
  }
}

for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`rate limits shared on ${dialect}`, () => {
    let test: TestDatabase;
    let a: Database;
    let b: Database;
    let clock = Date.parse("2026-01-01T00:00:10Z");
    const now = () => clock;
    const limiters: RateLimiter[] = [];
    const node = (db: Database) => {
      const l = new RateLimiter(new RateLimitCounters(db.db), { now, syncMs: 20 });
      limiters.push(l);
      return l;
    };

    beforeAll(async () => {
      test = await createTestDatabase(dialect);
      a = openDatabase(test.url, { poolSize: 2 });
      b = openDatabase(test.url, { poolSize: 2 });
      await migrate(a.db, a.dialect);
    });
    afterAll(async () => {
      for (const l of limiters) await l.close();
      await a?.close();
      await b?.close();
      await test?.drop();
    });

    it("holds two nodes taking turns in a burst to the limit within 10%", async () => {
      const [one, two] = [node(a), node(b)];
      let allowed = 0;
      // Each node takes requests in small runs, as a load balancer spreads a burst, a run every
      // millisecond or so (a busy node's pace); the exchanges with the database run meanwhile.
      for (let round = 0; round < 100; round++) {
        for (const l of [one, two]) {
          for (let i = 0; i < 5; i++) if (l.take("key:burst", 500).allowed) allowed++;
          await new Promise((r) => setTimeout(r, 1));
        }
      }
      await settle(one, two);
      expect(allowed).toBeGreaterThanOrEqual(450);
      expect(allowed).toBeLessThanOrEqual(550);
      const refused = one.take("key:burst", 500);
      expect(refused.allowed).toBe(false);
      expect(refused.remaining).toBe(0);
      expect(refused.resetSeconds).toBeGreaterThan(0);
      expect(refused.resetSeconds).toBeLessThanOrEqual(60);
    });

    it("slides: the previous minute's count fades as the window moves on", async () => {
      const [one, two] = [node(a), node(b)];
      one.add("key:slide", 100, 100);
      await settle(one, two);
      expect(one.take("key:slide", 100).allowed).toBe(false);
      // A quarter into the next minute, three quarters of the previous one still count, for a
      // node that did not count them itself too (once it has read them back).
      clock += 60_000 - (clock % 60_000) + 15_000;
      two.peek("key:slide", 100);
      await settle(two);
      let allowed = 0;
      for (let i = 0; i < 100; i++) {
        if (two.take("key:slide", 100).allowed) allowed++;
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(allowed).toBeGreaterThanOrEqual(23);
      expect(allowed).toBeLessThanOrEqual(27);
    });

    it("keeps counting on its own while the database cannot be reached", async () => {
      const broken = new RateLimiter(
        {
          add: async () => {
            throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
          },
          counts: async () => new Map(),
          purgeBefore: async () => {},
        } as unknown as RateLimitCounters,
        { now, syncMs: 20 },
      );
      limiters.push(broken);
      expect(broken.take("key:alone", 10).allowed).toBe(true);
      await settle(broken);
      let allowed = 1;
      for (let i = 0; i < 20; i++) if (broken.take("key:alone", 10).allowed) allowed++;
      expect(allowed).toBe(10);
      expect(broken.take("key:alone", 10).allowed).toBe(false);
    });
  });
}

describe("client address buckets", () => {
  it("keeps IPv4 as is and groups IPv6 by /64", () => {
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
  });
});
