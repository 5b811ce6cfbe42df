import dns from "node:dns/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PorticoError } from "../errors.js";
import { isPrivateAddress, Outbound, USER_AGENT } from "./outbound.js";

describe("isPrivateAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback /8"],
    ["0.0.0.0", "this network"],
    ["10.0.0.1", "RFC 1918 10/8"],
    ["10.255.255.255", "RFC 1918 10/8"],
    ["172.16.0.1", "RFC 1918 172.16/12"],
    ["172.31.255.255", "RFC 1918 172.16/12"],
    ["192.168.1.1", "RFC 1918 192.168/16"],
    ["169.254.169.254", "link-local (cloud metadata)"],
    ["100.64.0.1", "CGNAT 100.64/10"],
    ["100.127.255.255", "CGNAT 100.64/10"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["::1", "IPv6 loopback"],
    ["::", "IPv6 unspecified"],
    ["fc00::1", "unique local fc00::/7"],
    ["fd12:3456::1", "unique local fc00::/7"],
    ["fe80::1", "link-local fe80::/10"],
    ["febf::1", "link-local fe80::/10"],
    ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
    ["::ffff:7f00:1", "IPv4-mapped loopback, hex form (what the URL parser produces)"],
    ["::ffff:10.1.2.3", "IPv4-mapped RFC 1918"],
    ["::ffff:169.254.169.254", "IPv4-mapped link-local"],
    ["64:ff9b::7f00:1", "NAT64 of loopback"],
    ["not-an-address", "not an IP at all"],
  ])("refuses %s (%s)", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each([
    ["8.8.8.8"],
    ["1.1.1.1"],
    ["100.63.255.255"], // just below CGNAT
    ["100.128.0.1"], // just above CGNAT
    ["172.15.255.255"], // just below 172.16/12
    ["172.32.0.1"], // just above 172.16/12
    ["169.253.255.255"],
    ["2606:4700::1111"],
    ["2001:4860:4860::8888"],
    ["fbff::1"], // just below fc00::/7
    ["fec0::1"], // just above fe80::/10
    ["::ffff:8.8.8.8"],
  ])("allows the public address %s", (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });
});

/** A name other than localhost that this machine resolves to loopback (its host name, via /etc/hosts). */
async function loopbackAlias(): Promise<string | null> {
  for (const name of [os.hostname(), "ip6-localhost", "ip6-loopback"]) {
    if (!name || name === "localhost" || name.endsWith(".localhost")) continue;
    try {
      const all = await dns.lookup(name, { all: true });
      if (all.length && all.every((a) => a.address === "127.0.0.1" || a.address === "::1")) return name;
    } catch {
      // not resolvable here
    }
  }
  return null;
}
const ALIAS = await loopbackAlias();

describe("Outbound", () => {
  let server: http.Server;
  let port: number;
  let delayMs = 0;
  let bodySize = 2;
  const received: string[] = [];
  const agents: string[] = [];
  const outbounds: Outbound[] = [];
  const outbound = (allowPrivateNetworks: boolean) => {
    const o = new Outbound({ allowPrivateNetworks, timeoutMs: 1000 });
    outbounds.push(o);
    return o;
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      agents.push(req.headers["user-agent"] ?? "");
      setTimeout(() => {
        res.writeHead(200, { "content-type": "text/plain", "x-test": "yes" }).end("x".repeat(bodySize));
      }, delayMs);
    });
    // Dual stack on loopback, so a request to 127.0.0.1 or ::1 that got through would be seen here.
    await new Promise<void>((r) => server.listen({ port: 0, host: "::", ipv6Only: false }, () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    delayMs = 0;
    bodySize = 2;
    await Promise.all(outbounds.splice(0).map((o) => o.close()));
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const failure = async (p: Promise<unknown>): Promise<PorticoError> => {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(PorticoError);
      return err as PorticoError;
    }
    throw new Error("expected the request to be refused");
  };

  it("refuses loopback literals and localhost names before any connection", async () => {
    const o = outbound(false);
    for (const url of [
      `http://127.0.0.1:${port}/v4`,
      `http://[::1]:${port}/v6`,
      `http://localhost:${port}/name`,
      `http://api.localhost:${port}/sub`,
      `http://[::ffff:127.0.0.1]:${port}/mapped`,
      `http://2130706433:${port}/decimal`, // the URL parser turns this into 127.0.0.1
      `http://127.1:${port}/short`,
    ]) {
      const err = await failure(o.request({ method: "GET", url: new URL(url) }));
      expect(err.statusCode, url).toBe(403);
      expect(err.message, url).toMatch(/private or loopback address|loopback host/);
      // The check happens before sending, and does not depend on the request path.
      expect(() => o.assertAllowed(new URL(url))).toThrow(PorticoError);
    }
    expect(received).toEqual([]);
  });

  it("refuses non-http schemes with a 400", async () => {
    const o = outbound(false);
    for (const url of ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://example.com/"]) {
      const err = await failure(o.request({ method: "GET", url: new URL(url) }));
      expect(err.statusCode, url).toBe(400);
      expect(err.message).toMatch(/only http and https/);
    }
    // Even with private networks allowed, file: is never read.
    const open = outbound(true);
    expect(
      (await failure(open.request({ method: "GET", url: new URL("file:///etc/passwd") }))).statusCode,
    ).toBe(400);
    expect(received).toEqual([]);
  });

  it("refuses through fetch() too (the path oauth4webapi takes)", async () => {
    const o = outbound(false);
    const err = await failure(o.fetch(`http://127.0.0.1:${port}/fetch`));
    expect(err.statusCode).toBe(403);
    expect(received).toEqual([]);
  });

  it("reaches the same server when private networks are allowed", async () => {
    const o = outbound(true);
    const res = await o.request({ method: "GET", url: new URL(`http://127.0.0.1:${port}/open?q=1`) });
    expect(res.status).toBe(200);
    expect(res.headers["x-test"]).toBe("yes");
    expect(res.body.toString()).toBe("xx");
    const v6 = await o.request({ method: "POST", url: new URL(`http://[::1]:${port}/open6`), body: "b" });
    expect(v6.status).toBe(200);
    const viaFetch = await o.fetch(`http://localhost:${port}/open-fetch`);
    expect(await viaFetch.text()).toBe("xx");
    expect(received.splice(0)).toEqual(["GET /open?q=1", "POST /open6", "GET /open-fetch"]);
    expect(agents.splice(0)).toEqual([USER_AGENT, USER_AGENT, USER_AGENT]);
    expect(USER_AGENT).toMatch(/^Portico\/\d+\.\d+\.\d+$/);
    // A User-Agent the catalog entry or the caller set is kept, whatever its case.
    await o.request({
      method: "GET",
      url: new URL(`http://127.0.0.1:${port}/own`),
      headers: { "User-Agent": "DiscordBot (x, 1)" },
    });
    expect(agents.splice(0)).toEqual(["DiscordBot (x, 1)"]);
    received.splice(0);
  });

  it.skipIf(!ALIAS)("refuses a host name that resolves to loopback at connect time, after DNS", async () => {
    const o = outbound(false);
    const url = new URL(`http://${ALIAS}:${port}/resolved`);
    // The name passes the pre-flight check: only the resolved address gives it away.
    expect(() => o.assertAllowed(url)).not.toThrow();
    const err = await failure(o.request({ method: "GET", url }));
    expect(err.statusCode).toBe(403);
    expect(err.message).toMatch(/resolves to a private or loopback address/);
    expect(received).toEqual([]);
    // The same name reaches the server when private networks are allowed: the refusal above was
    // the guard, not a name that does not resolve.
    const res = await outbound(true).request({ method: "GET", url });
    expect(res.status).toBe(200);
    expect(received.splice(0)).toEqual(["GET /resolved"]);
  });

  it("turns a slow answer into a 408 and an oversized body into a 502", async () => {
    const o = outbound(true);
    delayMs = 600;
    const started = Date.now();
    const slow = await failure(
      o.request({ method: "GET", url: new URL(`http://127.0.0.1:${port}/slow`), timeoutMs: 200 }),
    );
    expect(slow.statusCode).toBe(408);
    expect(Date.now() - started).toBeLessThan(590);
    delayMs = 0;
    bodySize = 4096;
    const big = await failure(
      o.request({ method: "GET", url: new URL(`http://127.0.0.1:${port}/big`), maxBodyBytes: 1024 }),
    );
    expect(big.statusCode).toBe(502);
    expect(big.message).toMatch(/exceeded 1024 bytes/);
    received.splice(0);
  });
});
