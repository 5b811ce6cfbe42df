import type { OpenApiDocument, Operation, Parameter, Schema } from "./openapi.js";

/**
 * The API reference pages, one per resource (an OpenAPI tag), rendered as Markdown from Portico's
 * OpenAPI document: each operation with what it is for, its parameters, its request body's fields
 * and its answers. Markdown rather than a script-driven viewer, so the pages are searchable, work
 * without JavaScript and go through the same link check as the rest of the site.
 */

export type ReferencePage = { slug: string; title: string; markdown: string };

const METHODS = ["get", "post", "put", "patch", "delete"];

/** "Webhooks (Portico)" -> "webhooks"; "Console (Portico)" -> "console-api". */
export function slugOf(tag: string): string {
  if (tag.startsWith("Console")) return "console-api";
  return tag
    .replace(/\(.*?\)/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-");
}

/** The page title: the tag without the "(Portico)" mark, which the page's text explains. */
export const titleOf = (tag: string) => tag.replace(/\s*\(Portico\)/, "");

/** Text that is safe in a table cell and in Vue's template (no `{{`, no pipes, one line). */
function cell(text: string): string {
  return prose(text.replace(/\s*\n\s*/g, " ").replace(/\|/g, "\\|"));
}

/**
 * Prose that may hold `{{...}}` (catalog templates) or a placeholder such as `<email>`: Vue must
 * read neither as an expression or a tag. A `<` inside a code span is left to Markdown, which
 * escapes it there itself.
 */
function prose(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;")))
    .join("")
    .replace(/\{\{/g, "&#123;&#123;")
    .replace(/\}\}/g, "&#125;&#125;");
}

const refName = (ref: string) => ref.replace("#/components/schemas/", "").replace(/Input$/, "");

function resolve(doc: OpenApiDocument, s: Schema | undefined): Schema {
  let at = s ?? {};
  for (let i = 0; at.$ref && i < 10; i++)
    at = doc.components.schemas[at.$ref.replace("#/components/schemas/", "")] ?? {};
  return at;
}

/** Whether a schema admits null, and the schema without that branch. */
function nonNull(s: Schema): { schema: Schema; nullable: boolean } {
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const rest = alts.filter((a) => a.type !== "null");
    if (rest.length < alts.length)
      return {
        schema:
          rest.length === 1
            ? { ...rest[0], description: s.description }
            : { ...s, anyOf: rest, oneOf: undefined },
        nullable: true,
      };
  }
  if (Array.isArray(s.type) && s.type.includes("null")) {
    const types = s.type.filter((t) => t !== "null");
    return { schema: { ...s, type: types.length === 1 ? types[0] : types }, nullable: true };
  }
  return { schema: s, nullable: false };
}

/** A schema as a reader says it: "string", "array of `LinkedAccount`", "one of `production`, `test`". */
export function typeOf(s: Schema): string {
  const { schema, nullable } = nonNull(s);
  const suffix = nullable ? " or null" : "";
  if (schema.$ref) return `\`${refName(schema.$ref)}\`${suffix}`;
  const alts = schema.anyOf ?? schema.oneOf;
  if (alts) return `${[...new Set(alts.map(typeOf))].join(" or ")}${suffix}`;
  if (schema.enum) return `one of ${schema.enum.map((v) => `\`${String(v)}\``).join(", ")}${suffix}`;
  if (schema.const !== undefined) return `\`${String(schema.const)}\`${suffix}`;
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : schema.type;
  if (type === "array") return `array of ${schema.items ? typeOf(schema.items) : "any"}${suffix}`;
  if (type === "object") return `${schema.properties ? "object" : "JSON object"}${suffix}`;
  if (type === "string" && schema.format === "date-time") return `date-time (ISO 8601)${suffix}`;
  if (!type) return `any JSON${suffix}`;
  return `${type}${suffix}`;
}

/** The limits a value must keep, in words. */
function limits(s: Schema): string[] {
  const { schema } = nonNull(s);
  const inner = schema.anyOf?.[0] ?? schema;
  const out: string[] = [];
  if (inner.minLength !== undefined && inner.minLength > 1)
    out.push(`at least ${inner.minLength} characters`);
  if (inner.maxLength !== undefined) out.push(`at most ${inner.maxLength} characters`);
  if (inner.minimum !== undefined && inner.maximum !== undefined)
    out.push(`${inner.minimum} to ${inner.maximum}`);
  else if (inner.minimum !== undefined) out.push(`at least ${inner.minimum}`);
  else if (inner.maximum !== undefined) out.push(`at most ${inner.maximum}`);
  if (inner.maxItems !== undefined) out.push(`at most ${inner.maxItems} items`);
  if (s.default !== undefined) out.push(`default \`${JSON.stringify(s.default)}\``);
  return out;
}

function describe(s: Schema): string {
  const parts = [s.description, ...limits(s)].filter(Boolean) as string[];
  return cell(parts.join("; "));
}

function parametersTable(params: Parameter[]): string {
  const rows = params.map(
    (p) =>
      `| \`${p.name}\` | ${p.in} | ${cell(typeOf(p.schema ?? {}))} | ${p.required ? "yes" : "no"} | ${describe(
        {
          ...(p.schema ?? {}),
          description: p.description ?? p.schema?.description,
        },
      )} |`,
  );
  return ["| name | in | type | required | description |", "| --- | --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}

/** An object's fields as a table; null when the schema is not an object with fields. */
function fieldsTable(doc: OpenApiDocument, schema: Schema | undefined): string | null {
  const s = resolve(doc, nonNull(resolve(doc, schema)).schema);
  if (!s.properties || Object.keys(s.properties).length === 0) return null;
  const required = new Set(s.required ?? []);
  const rows = Object.entries(s.properties).map(
    ([name, p]) =>
      `| \`${name}\` | ${cell(typeOf(p))} | ${required.has(name) ? "yes" : "no"} | ${describe(p)} |`,
  );
  return ["| field | type | required | description |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

const jsonSchema = (content?: Record<string, { schema?: Schema }>) =>
  content?.["application/json"]?.schema ?? Object.values(content ?? {})[0]?.schema;

function responsesSection(doc: OpenApiDocument, op: Operation): string {
  const entries = Object.entries(op.responses ?? {});
  const rows = entries.map(([status, r]) => {
    const schema = jsonSchema(r.content);
    const body = schema ? typeOf(schema) : "-";
    return `| ${status} | ${cell(r.description ?? "")} | ${cell(body)} |`;
  });
  const out = ["| status | meaning | body |", "| --- | --- | --- |", ...rows];
  const success = entries.find(([status]) => status.startsWith("2"));
  const schema = success && jsonSchema(success[1].content);
  const target = schema && resolve(doc, schema.type === "array" && schema.items ? schema.items : schema);
  const fields = target && fieldsTable(doc, target);
  if (success && schema && fields) {
    const name = (schema.items?.$ref ?? schema.$ref)
      ?.replace("#/components/schemas/", "")
      .replace(/Input$/, "");
    out.push("", `::: details Fields of ${name ? `\`${name}\`` : "the answer"}`, fields, ":::");
  }
  return out.join("\n");
}

function operationSection(doc: OpenApiDocument, method: string, path: string, op: Operation): string {
  // In a code span: markdown-it-attrs would read a trailing `{id}` as attributes.
  const out = [`## \`${method.toUpperCase()} ${path}\``, ""];
  if (op.summary) out.push(`**${prose(op.summary)}**`, "");
  if (op.description) out.push(prose(op.description), "");
  const auth = op.security?.some((s) => "console" in s)
    ? "The console's session cookie."
    : "HTTP Basic: your API key as the username, an empty password.";
  out.push(`Authentication: ${auth} Operation id: \`${op.operationId ?? "-"}\`.`, "");
  if (op.parameters?.length) out.push("### Parameters", "", parametersTable(op.parameters), "");
  const body = jsonSchema(op.requestBody?.content);
  if (body) {
    const fields = fieldsTable(doc, body);
    out.push("### Request body", "", fields ?? `${typeOf(body)}.`, "");
  }
  out.push("### Responses", "", responsesSection(doc, op), "");
  return out.join("\n");
}

/** One page per tag, in the document's order, with its operations in the order they are served. */
export function referencePages(doc: OpenApiDocument): ReferencePage[] {
  return doc.tags.map((tag) => {
    const sections: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const method of METHODS) {
        const op = ops[method];
        if (op?.tags?.includes(tag.name)) sections.push(operationSection(doc, method, path, op));
      }
    const title = titleOf(tag.name);
    const own = tag.name.includes("(Portico)")
      ? "\n\nThis part of the API is Portico's own: StackOne's API has no counterpart, so StackOne's SDKs have no methods for it; call it over HTTP."
      : "";
    const markdown = [
      "---",
      `title: "${title}: API reference"`,
      "outline: [2, 2]",
      "---",
      "",
      `# ${title}`,
      "",
      `${prose(tag.description)}${own}`,
      "",
      "Every call takes the base URL of your Portico (`http://localhost:4000` below) and answers JSON; errors have StackOne's body `{statusCode, message, timestamp}`. [The API with curl](../api.md) shows these calls in use, and a running Portico serves this reference interactively at `/docs` and as OpenAPI 3.1 at `/openapi.json`.",
      "",
      ...sections,
    ].join("\n");
    return { slug: slugOf(tag.name), title, markdown };
  });
}
