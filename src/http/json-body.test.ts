import { describe, expect, it } from "vitest";
import { PorticoError } from "../errors.js";
import { jsonDepth, MAX_JSON_DEPTH, parseJsonBody } from "./json-body.js";

const refusal = (text: string) => {
  try {
    parseJsonBody(text);
  } catch (err) {
    expect(err).toBeInstanceOf(PorticoError);
    return err as PorticoError;
  }
  throw new Error(`expected ${text.slice(0, 40)} to be refused`);
};

describe("parseJsonBody", () => {
  it("parses ordinary bodies, brackets inside strings included", () => {
    expect(parseJsonBody('{"a":[1,{"b":"[[[{\\"}"}]}')).toEqual({ a: [1, { b: '[[[{"}' }] });
    expect(jsonDepth('{"a":"{{{{"}')).toBe(1);
    expect(jsonDepth("[[1],[2,[3]]]")).toBe(3);
  });

  it("refuses nesting deeper than the limit with a 400, and accepts it at the limit", () => {
    const deep = (n: number) => `{"metadata":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`;
    expect(() => parseJsonBody(deep(MAX_JSON_DEPTH))).not.toThrow();
    const err = refusal(deep(5000));
    expect(err.statusCode).toBe(400);
    expect(err.message).toBe(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it("names a prototype key where it is", () => {
    expect(refusal('{"metadata":{"a":{"__proto__":{"x":1}}}}').message).toBe(
      "metadata.a.__proto__: this key is not allowed",
    );
    expect(refusal('{"m":[{"constructor":{"prototype":{}}}]}').message).toBe(
      "m.0.constructor.prototype: this key is not allowed",
    );
    // The words themselves are fine as values or as other keys.
    expect(parseJsonBody('{"note":"__proto__ prototype","constructor":"x"}')).toEqual({
      note: "__proto__ prototype",
      constructor: "x",
    });
  });

  it("refuses NUL characters, which PostgreSQL cannot store", () => {
    expect(refusal('{"origin_owner_id":"a\\u0000b"}').message).toBe(
      "body: text values may not contain NUL (\\u0000) characters",
    );
    expect(parseJsonBody('{"a":"\\\\u0000 is fine as text"}')).toEqual({ a: "\\u0000 is fine as text" });
  });

  it("says what is malformed and refuses an empty body", () => {
    expect(refusal("{bad").message).toMatch(/^Malformed JSON in request body: /);
    expect(refusal("  ").message).toBe("body: must be JSON, the request body is empty");
  });
});
