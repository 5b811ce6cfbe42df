import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * Behind a trusted proxy, X-Forwarded-For names the client; each client counts in one bucket of
 * the per-address limit, however the proxy spells its address (issue 18).
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`odd client addresses on ${dialect}`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect, {
        PORTICO_PUBLIC_RATE_LIMIT_PER_MINUTE: "3",
        PORTICO_TRUSTED_PROXIES: "loopback",
      });
    });
    afterAll(() => s?.close());

    /**
     * One request once the limiter has shared its counts: with a limit of 3, a node lets one request
     * at a time through until the database confirms it (rate-limit.ts), which takes a moment on
     * PostgreSQL.
     */
    const page = async (forwardedFor: string) => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        await (s.ctx.rateLimiter as unknown as { exchanging: Promise<void> | null }).exchanging;
      }
      return (
        await fetch(`${s.url}/embedded/integrations?token=x`, {
          headers: { "x-forwarded-for": forwardedFor },
        })
      ).status;
    };
    const series = async (...forwarded: string[]) => {
      const out: number[] = [];
      for (const f of forwarded) out.push(await page(f));
      return out;
    };

    it("counts an address with a port, in any form, as that address", async () => {
      expect(await series("203.0.113.7:1111", "203.0.113.7:2222", "203.0.113.7", "203.0.113.7:3333")).toEqual(
        [404, 404, 404, 429],
      );
      expect(await series("[2001:db8::5]:443", "2001:DB8::5", "[2001:db8:0:0::6]:80", "2001:db8::7")).toEqual(
        [404, 404, 404, 429],
      );
    });

    it("counts IPv4-mapped IPv6 as the IPv4 address it holds, not all in one bucket", async () => {
      expect(await series("::ffff:cb00:7108", "::ffff:203.0.113.8", "0:0:0:0:0:ffff:cb00:7108")).toEqual([
        404, 404, 404,
      ]);
      expect(await page("203.0.113.8")).toBe(429);
      expect(await page("::ffff:c633:6405")).toBe(404);
    });

    it("counts what is not an address as the proxy's own (socket) address", async () => {
      expect(await series("garbage-1", "unknown", "203.0.113.9:http")).toEqual([404, 404, 404]);
      expect(await page("not an address either")).toBe(429);
      // The socket's address is the same bucket.
      expect(await page("127.0.0.1")).toBe(429);
      expect(await page("203.0.113.9")).toBe(404);
    });
  });
}
