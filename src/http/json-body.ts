import type { FastifyInstance } from "fastify";
import { PorticoError } from "../errors.js";

/**
 * How deep a request body's objects and arrays may nest. Nothing Portico accepts needs more than a
 * few levels; without a bound, a 30 KB body of nested arrays overflowed the stack of the size
 * checks that serialize `metadata` again (a 500).
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** The deepest nesting in a JSON text, counting only brackets outside strings. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) max = depth;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
  }
  return max;
}

/**
 * The path of the first key that could reach an object's prototype when a body is later merged
 * into another object (`__proto__`, or `constructor.prototype`), or null.
 */
function prototypeKey(value: unknown, path: string): string | null {
  if (value === null || typeof value !== "object") return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = prototypeKey(value[i], `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    const child = (value as Record<string, unknown>)[key];
    if (key === "__proto__") return here;
    if (key === "constructor" && child !== null && typeof child === "object" && "prototype" in child)
      return `${here}.prototype`;
    const found = prototypeKey(child, here);
    if (found) return found;
  }
  return null;
}

function hasNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\0");
  if (value === null || typeof value !== "object") return false;
  for (const [k, v] of Object.entries(value)) if (k.includes("\0") || hasNul(v)) return true;
  return false;
}

/** Parses a request body, refusing what would be unsafe to handle with a 400 that says why. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "")
    throw new PorticoError("VALIDATION", "body: must be JSON, the request body is empty");
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw new PorticoError("VALIDATION", `body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PorticoError("INVALID_JSON", `Malformed JSON in request body: ${(err as Error).message}`);
  }
  // PostgreSQL cannot store NUL in text, so no dialect accepts it (a JSON text spells it \u0000).
  if (/\\u0000/i.test(text) && hasNul(value))
    throw new PorticoError("VALIDATION", "body: text values may not contain NUL (\\u0000) characters");
  if (text.includes("__proto__") || text.includes("prototype")) {
    const key = prototypeKey(value, "");
    if (key) throw new PorticoError("VALIDATION", `${key}: this key is not allowed`);
  }
  return value;
}

/** Replaces Fastify's JSON body parser with `parseJsonBody`; the app's body limit still applies. */
export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
