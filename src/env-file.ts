/** One `NAME=value` of an env file, with the line it starts on (for messages that point at it). */
export type EnvFileEntry = { name: string; value: string; line: number };

export class EnvFileError extends Error {
  override name = "EnvFileError";
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\", $: "$" };

/**
 * Parses an env file as dotenv and Docker Compose write them, so one file serves Portico and
 * `docker compose` alike: `NAME=value` lines, `#` comments (a whole line, or after a space in an
 * unquoted value), an optional `export ` before the name, and values that are bare (trimmed),
 * 'single-quoted' (literal) or "double-quoted" (with \n, \t, \" and \\ escapes; may span lines).
 * No `${VAR}` expansion: a value is what the file says. A line it cannot read is an error naming
 * the file and line, never silently skipped. A name given twice keeps its last value.
 */
export function parseEnvFile(text: string, file: string): EnvFileEntry[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const out: EnvFileEntry[] = [];
  const fail = (line: number, why: string): never => {
    throw new EnvFileError(`${file}:${line}: ${why}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    const raw = lines[i]!.trim();
    if (raw === "" || raw.startsWith("#")) continue;
    const body = raw.startsWith("export ") ? raw.slice("export ".length).trimStart() : raw;
    const eq = body.indexOf("=");
    if (eq < 0) fail(start, `expected NAME=value, got "${body.slice(0, 40)}"`);
    const name = body.slice(0, eq).trim();
    if (!NAME.test(name)) fail(start, `"${name.slice(0, 40)}" is not a variable name`);
    let rest = body.slice(eq + 1).trimStart();
    const quote = rest[0];
    let value: string;
    if (quote === '"' || quote === "'") {
      // A quoted value runs to its closing quote, across lines if need be.
      let text = rest.slice(1);
      let close = closingQuote(text, quote);
      while (close < 0 && i + 1 < lines.length) {
        i++;
        text += `\n${lines[i]}`;
        close = closingQuote(text, quote);
      }
      if (close < 0) fail(start, `${name}: the ${quote} quote is never closed`);
      const after = text.slice(close + 1).trim();
      if (after && !after.startsWith("#"))
        fail(start, `${name}: unexpected "${after.slice(0, 20)}" after the value`);
      const inner = text.slice(0, close);
      value = quote === "'" ? inner : inner.replace(/\\(.)/gs, (m, c: string) => ESCAPES[c] ?? m);
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = rest.trim();
    }
    out.push({ name, value, line: start });
  }
  return out;
}

/** Index of the quote that closes a value (a double quote may be escaped), or -1. */
function closingQuote(text: string, quote: string): number {
  for (let j = 0; j < text.length; j++) {
    if (quote === '"' && text[j] === "\\") j++;
    else if (text[j] === quote) return j;
  }
  return -1;
}
