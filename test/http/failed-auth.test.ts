import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { type Context, createContext } from "../../src/context.js";
import { consoleLink } from "../helpers/console.js";
import { DIALECTS, dialectAvailable } from "../helpers/dialects.js";
import { createSession } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

const WRONG_KEY = basic("sk_wrongwrongwrongwrongwrongwrongwrongwrongwro");
const LIMIT = 20;

/**
 * Failed authentication is limited per client address (issue 18): past PORTICO_FAILED_AUTH_LIMIT_PER_MINUTE
 * (20 by default) failures in a minute, the address's next attempts get StackOne's 429 with
 * Retry-After before anything is looked up, on each surface: API keys, hub tokens and console
 * sign-in. Two nodes on one database share the count. Each test is one client behind a trusted
 * proxy (X-Forwarded-For), so they do not count against each other.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(!dialectAvailable(dialect))(`failed authentication limits on ${dialect}`, () => {
    let s: TestServer;
    let second: { ctx: Context; app: FastifyInstance; url: string };

    beforeAll(async () => {
      s = await startTestServer(dialect, { PORTICO_TRUSTED_PROXIES: "loopback" });
      // A second node on the same database.
      const ctx = await createContext(s.config, { logger: pino({ level: "silent" }), migrate: false });
      const app = await buildApp(ctx);
      second = { ctx, app, url: await app.listen({ port: 0, host: "127.0.0.1" }) };
    });
    afterAll(async () => {
      await second?.app.close();
      await second?.ctx.close();
      await s?.close();
    });

    /** Lets both nodes share their counts first: near a limit a node waits for the database. */
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 20));
        for (const limiter of [s.ctx.rateLimiter, second.ctx.rateLimiter])
          await (limiter as unknown as { exchanging: Promise<void> | null }).exchanging;
      }
    };
    /**
     * The first LIMIT failures answered 401 and everything after the limit 429. Each node counted
     * only half of them itself: its 429s come from the other's counts. A node learns the other's
     * latest failure at its own next exchange, so one more may get through (as with every shared
     * limit: rate-limit.ts).
     */
    const expectLimited = (statuses: number[]) => {
      const failures = statuses.filter((x) => x === 401).length;
      expect(statuses.slice(0, LIMIT)).toEqual(Array(LIMIT).fill(401));
      expect(failures).toBeLessThanOrEqual(LIMIT + 1);
      expect(statuses.slice(failures)).toEqual(Array(statuses.length - failures).fill(429));
    };
    const expect429 = async (res: Response) => {
      expect(res.status).toBe(429);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    };

    it("answers an address's API-key failures past the limit with 429 and Retry-After, on every node", async () => {
      const client = "198.51.100.10";
      // A key in use before the failures: this node knows it is valid, and keeps serving it.
      const known = await fetch(`${s.url}/accounts`, {
        headers: { authorization: basic(s.apiKey), "x-forwarded-for": client },
      });
      expect(known.status).toBe(200);
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        await settle();
        // Alternating nodes: the count is shared.
        const url = i % 2 ? second.url : s.url;
        const res = await fetch(`${url}/accounts`, {
          headers: { authorization: WRONG_KEY, "x-forwarded-for": client },
        });
        statuses.push(res.status);
        if (res.status === 429) {
          await expect429(res);
          const body = (await res.json()) as Record<string, unknown>;
          expect(Object.keys(body).sort()).toEqual(["message", "statusCode", "timestamp"]);
          expect(body.message).toMatch(
            /^Too many failed authentications from this address: at most 20 per minute/,
          );
        }
      }
      expectLimited(statuses);
      // A key this node has not seen is not even looked up from that address...
      await expect429(
        await fetch(`${second.url}/accounts`, {
          headers: { authorization: basic(s.apiKey), "x-forwarded-for": client },
        }),
      );
      // ...one it just served still works, and so does every other address.
      expect(
        (
          await fetch(`${s.url}/accounts`, {
            headers: { authorization: basic(s.apiKey), "x-forwarded-for": client },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await fetch(`${s.url}/accounts`, {
            headers: { authorization: WRONG_KEY, "x-forwarded-for": "198.51.100.11" },
          })
        ).status,
      ).toBe(401);
      // No request-log row for any of it: none of these calls had a project.
    });

    it("limits refused hub tokens per address", async () => {
      const client = "198.51.100.20";
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        await settle();
        const res = await fetch(`${i % 2 ? second.url : s.url}/hub/connectors`, {
          headers: { "x-hub-session-token": `cst_guess${i}`, "x-forwarded-for": client },
        });
        statuses.push(res.status);
        if (res.status === 429) await expect429(res);
      }
      expectLimited(statuses);
      const session = await createSession(s, { origin_owner_id: "hub-ok", origin_owner_name: "Hub OK" });
      const other = await fetch(`${s.url}/hub/connectors`, {
        headers: { "x-hub-session-token": session.token, "x-forwarded-for": "198.51.100.21" },
      });
      expect(other.status).toBe(200);
    });

    it("limits failed console sign-ins per address, and the page says so", async () => {
      const client = "198.51.100.30";
      const post = (url: string, token: string, from = client) =>
        fetch(`${url}/console/sign-in`, {
          method: "POST",
          redirect: "manual",
          headers: {
            "content-type": "application/x-www-form-urlencoded",
            origin: s.config.publicUrl,
            "x-forwarded-for": from,
          },
          body: new URLSearchParams({ token }),
        });
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) {
        await settle();
        const res = await post(i % 2 ? second.url : s.url, `pcl_guess${i}`);
        statuses.push(res.status);
        if (res.status === 429) {
          await expect429(res);
          expect(await res.text()).toContain("Too many failed authentications from this address");
        }
      }
      expectLimited(statuses);
      // A real link from that address waits too; from another it signs in.
      const link = () => consoleLink(s).then((u) => new URL(u).searchParams.get("token")!);
      await expect429(await post(s.url, await link()));
      expect((await post(s.url, await link(), "198.51.100.31")).status).toBe(303);
    });

    it("is off with PORTICO_FAILED_AUTH_LIMIT_PER_MINUTE=0", async () => {
      const off = await startTestServer(dialect, { PORTICO_FAILED_AUTH_LIMIT_PER_MINUTE: "0" });
      try {
        const statuses = new Set<number>();
        for (let i = 0; i < 30; i++)
          statuses.add(
            (await fetch(`${off.url}/accounts`, { headers: { authorization: WRONG_KEY } })).status,
          );
        expect([...statuses]).toEqual([401]);
      } finally {
        await off.close();
      }
    });
  });
}
