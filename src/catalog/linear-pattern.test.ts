import { describe, expect, it } from "vitest";
import { linearPatternProblem, pumps } from "./linear-pattern.js";
import { FieldSchema } from "./schema.js";

describe("catalog validation patterns", () => {
  it("accept anchored patterns whose runs end where the next part starts", () => {
    for (const p of [
      "^[a-z0-9-]+$",
      "^[a-z]+[0-9]+$",
      "^[0-9a-f]+-[a-z]+[0-9]+$",
      "^pk_\\S+$",
      "^api(-eu)?$",
      "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
      "^AC[0-9a-fA-F]{32}$",
      "^[^@]+@[^@]+$",
      "^(?:us|eu)[0-9]*$",
      "^.+$",
    ])
      expect(linearPatternProblem(p), p).toBeNull();
  });

  it("refuse what could backtrack, and say why", () => {
    const cases: [string, RegExp][] = [
      ["^(a+)+$", /group may be repeated only by \?/],
      ["^(a|a)*$", /group may be repeated only by \?/],
      ["^\\d+\\d+$", /could backtrack/],
      ["^[a-z]+[a-z0-9]+$", /could backtrack/],
      ["^x*y?x+$", /could backtrack/],
      ["^.*x.*$", /could backtrack/],
      ["[a-z]+", /must start with \^/],
      ["^[a-z]+", /must end with \$/],
      ["^a|b$", /top-level \|/],
      ["^(a)\\1$", /\\1 is not allowed/],
      ["^(?=a)a$", /lookarounds/],
      ["^\\ba$", /\\b is not allowed/],
    ];
    for (const [p, why] of cases) expect(linearPatternProblem(p), p).toMatch(why);
  });

  it("are refused by the catalog's schema when they could backtrack", () => {
    const field = { key: "sub", label: "Sub", type: "text", validation: { pattern: "^[a-z]+[a-z0-9]+$" } };
    const result = FieldSchema.safeParse(field);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).toMatch(/must scan in linear time/);
    expect(FieldSchema.safeParse({ ...field, validation: { pattern: "^[a-z]+[0-9]+$" } }).success).toBe(true);
  });

  it("pump each repeated part with what it matches and end on what nothing accepts", () => {
    expect(pumps("^pk_\\S+$", 5)).toEqual(["pk_aaaaa "]);
    expect(pumps("^[a-z]+[0-9]+$", 3)).toEqual(["aaa!", "a000!"]);
  });
});
