import { describe, expect, it } from "vitest";
import { addressBucket, normalizeAddress } from "./client-address.js";

describe("client addresses", () => {
  it("drop ports and zones, unwrap IPv4-mapped IPv6 in any spelling, and write IPv6 canonically", () => {
    expect(normalizeAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(normalizeAddress(" 203.0.113.7:5678 ")).toBe("203.0.113.7");
    expect(normalizeAddress("[2001:DB8::5]:443")).toBe("2001:db8::5");
    expect(normalizeAddress("[2001:db8::5]")).toBe("2001:db8::5");
    expect(normalizeAddress("2001:0db8:0000:0000:0000:0000:0000:0005")).toBe("2001:db8::5");
    expect(normalizeAddress("fe80::1%eth0")).toBe("fe80::1");
    expect(normalizeAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(normalizeAddress("::FFFF:cb00:7107")).toBe("203.0.113.7");
    expect(normalizeAddress("0:0:0:0:0:ffff:cb00:7107")).toBe("203.0.113.7");
    expect(normalizeAddress("[::ffff:cb00:7107]:80")).toBe("203.0.113.7");
  });

  it("are null when they are not addresses", () => {
    for (const bad of [
      "",
      "unknown",
      "garbage:80",
      "203.0.113.7:",
      "203.0.113.7:http",
      "203.0.113.7:1234567",
      "203.0.113.256",
      "01.2.3.4",
      "[2001:db8::5",
      "[2001:db8::5]x",
      "2001:db8::5:80:1:2:3:4:5",
      "1.2.3.4, 5.6.7.8",
      `${"1".repeat(100_000)}`,
    ])
      expect(normalizeAddress(bad), bad).toBeNull();
    expect(normalizeAddress(undefined)).toBeNull();
  });

  it("count IPv4 by address and IPv6 by /64, mapped forms as their IPv4 address", () => {
    expect(addressBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(addressBucket("::ffff:cb00:7107")).toBe("203.0.113.7");
    expect(addressBucket("::ffff:c633:6405")).toBe("198.51.100.5");
    expect(addressBucket("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
  });
});
