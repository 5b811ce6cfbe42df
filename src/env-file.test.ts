import { describe, expect, it } from "vitest";
import { EnvFileError, parseEnvFile } from "./env-file.js";

const parse = (text: string) => Object.fromEntries(parseEnvFile(text, ".env").map((e) => [e.name, e.value]));

describe("parseEnvFile", () => {
  it("reads the forms dotenv and Docker Compose write", () => {
    const text = [
      "# settings",
      "",
      "PORTICO_PORT=4100",
      "export PORTICO_HOST=0.0.0.0",
      "PORTICO_PUBLIC_URL = https://connect.example.com   # where users reach it",
      "PORTICO_LOG_LEVEL=warn#not a comment without a space before it",
      "SINGLE='a $literal \\n value'",
      'DOUBLE="line one\\nline \\"two\\"" # trailing comment',
      'MULTI="first',
      'second"',
      "EMPTY=",
      "EMPTY_QUOTED=''",
      "DUP=1",
      "DUP=2",
      "URL=postgres://u:p%40ss@db:5432/portico?sslmode=require",
    ].join("\n");
    expect(parse(text)).toEqual({
      PORTICO_PORT: "4100",
      PORTICO_HOST: "0.0.0.0",
      PORTICO_PUBLIC_URL: "https://connect.example.com",
      PORTICO_LOG_LEVEL: "warn#not a comment without a space before it",
      SINGLE: "a $literal \\n value",
      DOUBLE: 'line one\nline "two"',
      MULTI: "first\nsecond",
      EMPTY: "",
      EMPTY_QUOTED: "",
      DUP: "2",
      URL: "postgres://u:p%40ss@db:5432/portico?sslmode=require",
    });
  });

  it("remembers the line each value starts on, and accepts Windows line ends and a BOM", () => {
    const entries = parseEnvFile('\uFEFFA=1\r\n\r\nB="x\r\ny"\r\nC=3\r\n', "f");
    expect(entries).toEqual([
      { name: "A", value: "1", line: 1 },
      { name: "B", value: "x\ny", line: 3 },
      { name: "C", value: "3", line: 5 },
    ]);
  });

  it("refuses what it cannot read, naming the file and line", () => {
    const cases: [string, RegExp][] = [
      ["A=1\njust words", /^\.env:2: expected NAME=value, got "just words"$/],
      ["1A=x", /^\.env:1: "1A" is not a variable name$/],
      ['A=1\nB="never closed\nC=3', /^\.env:2: B: the " quote is never closed$/],
      ["A='x' y", /^\.env:1: A: unexpected "y" after the value$/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseEnvFile(text, ".env")).toThrow(EnvFileError);
      expect(() => parseEnvFile(text, ".env")).toThrow(message);
    }
  });
});
