import type { FastifySchemaCompiler } from "fastify";
import type { z } from "zod";
import { PorticoError } from "../errors.js";

type Issue = z.core.$ZodIssue;

const describeExpected = (expected: string) =>
  ({ object: "a JSON object", record: "a JSON object", array: "an array", int: "an integer" })[expected] ??
  `a ${expected}`;

/** One readable clause per problem, naming the field: `origin_owner_id: is required`. */
function describeIssue(issue: Issue, context: string): string {
  const field = issue.path.length ? issue.path.map(String).join(".") : context;
  let what: string;
  switch (issue.code) {
    case "invalid_type":
      what = /received undefined/.test(issue.message)
        ? "is required"
        : `must be ${describeExpected(issue.expected)}`;
      break;
    case "invalid_value":
      what = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
      break;
    case "too_small":
      what =
        issue.origin === "string"
          ? Number(issue.minimum) <= 1
            ? "must not be empty"
            : `must be at least ${issue.minimum} characters`
          : issue.origin === "array"
            ? `must have at least ${issue.minimum} items`
            : `must be ${issue.inclusive === false ? ">" : ">="} ${issue.minimum}`;
      break;
    case "too_big":
      what =
        issue.origin === "string"
          ? `must be at most ${issue.maximum} characters`
          : issue.origin === "array"
            ? `must have at most ${issue.maximum} items`
            : `must be ${issue.inclusive === false ? "<" : "<="} ${issue.maximum}`;
      break;
    default:
      what = issue.message;
  }
  return `${field}: ${what}`;
}

/** z.int()'s own safe-integer range: a schema's declared bound says more, when there is one. */
const implicitBound = (issue: Issue) =>
  (issue.code === "too_big" && Number(issue.maximum) === Number.MAX_SAFE_INTEGER) ||
  (issue.code === "too_small" && Number(issue.minimum) === Number.MIN_SAFE_INTEGER);

/** One clause per offending field: zod can report several checks of one value ("must be an
 * array" and "at most 5 characters"), and the first says what is wrong. */
export function describeIssues(issues: readonly Issue[], context = "body"): string {
  const byField = new Map<string, Issue>();
  for (const issue of issues) {
    const field = issue.path.length ? issue.path.map(String).join(".") : context;
    const first = byField.get(field);
    if (!first || (implicitBound(first) && !implicitBound(issue))) byField.set(field, issue);
  }
  return [...byField.values()].map((i) => describeIssue(i, context)).join("; ");
}

/** A zod validation failure as Portico's 400, with every offending field named in one string. */
export function validationError(issues: readonly Issue[], context = "body"): PorticoError {
  return new PorticoError("VALIDATION", describeIssues(issues, context));
}

/**
 * Request validation with zod. Query and params are named as such; the body's fields by name.
 * Errors are PorticoErrors, which Fastify passes to the error handler untouched.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const context = httpPart === "querystring" ? "query" : httpPart === "params" ? "path" : "body";
    return { error: validationError(result.error.issues, context) };
  };

/**
 * Responses are built by each slice's `toWire` mapper with exact wire shapes (and checked by the
 * contract tests driving the official SDK); the zod response schemas feed OpenAPI only, so the hot
 * path pays for one JSON.stringify and no second validation.
 */
export const jsonSerializerCompiler = () => (data: unknown) => JSON.stringify(data);
