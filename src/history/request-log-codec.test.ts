import { describe, expect, it } from "vitest";
import {
  calledPath,
  decodeAccount,
  encodeAccount,
  joinProviderUrl,
  splitProviderUrl,
  storedPath,
} from "./request-log-codec.js";

describe("request log codec", () => {
  it("stores account ids without their acc_ prefix, and any other id whole", () => {
    for (const id of ["acc_Ab3xK9", "acc_", "acc_~x", "~acc", "x", "", "acc"])
      expect(decodeAccount(encodeAccount(id))).toBe(id);
    expect(encodeAccount("acc_Ab3xK9")).toBe("Ab3xK9");
    expect(encodeAccount(null)).toBeNull();
  });

  it("stores no path the route and account imply", () => {
    expect(storedPath("/accounts", "/accounts", null)).toBeNull();
    expect(storedPath("/accounts/acc_1", "/accounts/:id", "acc_1")).toBeNull();
    expect(storedPath("/accounts/acc_1/meta", "/accounts/:id/meta", "acc_1")).toBeNull();
    expect(storedPath("/accounts/acc%5F1", "/accounts/:id", "acc_1")).toBe("/accounts/acc%5F1");
    expect(storedPath("/connectors/meta/hubspot", "/connectors/meta/:provider", null)).toBe(
      "/connectors/meta/hubspot",
    );
    expect(storedPath("/nowhere", "", null)).toBe("/nowhere");
    for (const [p, r, a] of [
      ["/accounts/acc_1", "/accounts/:id", "acc_1"],
      ["/connectors/meta/x", "/connectors/meta/:provider", null],
      ["/x", "", null],
    ] as const)
      expect(calledPath(storedPath(p, r, a), r, a)).toBe(p);
  });

  it("splits a provider URL into a shared prefix and what the row keeps, and joins it back", () => {
    const cases: [string | null, string | null][] = [
      ["https://api.example.com/v1/employees", "/employees"],
      ["https://api.example.com/v1/employees/7", "/employees/7"],
      ["https://api.example.com/moved/employees", "/employees/x"],
      ["https://api.example.com", "/"],
      ["https://api.example.com/", ""],
      [null, "/employees"],
      [null, null],
    ];
    for (const [url, path] of cases) {
      const { prefix, rest } = splitProviderUrl(url, path);
      expect(joinProviderUrl(prefix, rest, path)).toBe(url);
    }
    expect(splitProviderUrl("https://api.example.com/v1/employees", "/employees")).toEqual({
      prefix: "https://api.example.com/v1",
      rest: null,
    });
  });
});
