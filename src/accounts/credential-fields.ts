import { type CatalogEntry, isSecretField } from "../catalog/schema.js";
import { PorticoError } from "../errors.js";

export type Values = Record<string, string>;

/** What a form submission splits into: secrets (encrypted) and setup values (stored in clear). */
export type SplitValues = { secrets: Values; setup: Values };

const MAX_VALUE = 8192;

export { isSecretField };

/**
 * Checks submitted form values against the entry's fields, the way the hub's own form does, and
 * splits them. Values the submission leaves out keep their `existing` value (editing an account
 * without retyping its secrets). `strict` refuses keys the entry does not define (API callers);
 * the hub may send extra keys of its own, which are dropped.
 */
export function checkFields(
  entry: CatalogEntry,
  submitted: Record<string, unknown>,
  existing: SplitValues = { secrets: {}, setup: {} },
  opts: { strict?: boolean; context?: string; sources?: Record<string, string> } = {},
): SplitValues {
  // Where each key was sent (`setup_information`, `secrets`...), so a message names that part.
  const at = (key: string) => `${opts.sources?.[key] ?? opts.context ?? "credentials"}.${key}`;
  const problems: string[] = [];
  const known = new Set(entry.auth.fields.map((f) => f.key));
  if (opts.strict) {
    for (const k of Object.keys(submitted))
      if (!known.has(k)) problems.push(`${at(k)}: not a field of ${entry.name}`);
  }
  const out: SplitValues = { secrets: {}, setup: {} };
  for (const f of entry.auth.fields) {
    const raw = submitted[f.key];
    let value: string | undefined;
    if (raw !== undefined && raw !== null && raw !== "") {
      if (typeof raw !== "string" && (typeof raw !== "number" || f.type !== "number")) {
        problems.push(`${at(f.key)}: must be a string`);
        continue;
      }
      value = String(raw);
    } else {
      value = isSecretField(f) ? existing.secrets[f.key] : existing.setup[f.key];
    }
    if (value === undefined) {
      if (f.required) problems.push(`${at(f.key)}: ${f.label} is required`);
      continue;
    }
    if (value.length > MAX_VALUE) problems.push(`${at(f.key)}: must be at most ${MAX_VALUE} characters`);
    else if (f.validation && !new RegExp(f.validation.pattern).test(value)) {
      problems.push(`${at(f.key)}: ${f.validation.error ?? `does not match ${f.validation.pattern}`}`);
    } else if (f.type === "number" && !/^\d+$/.test(value))
      problems.push(`${at(f.key)}: must be a whole number`);
    else if (f.type === "select" && !f.options!.some((o) => o.value === value)) {
      problems.push(`${at(f.key)}: must be one of ${f.options!.map((o) => o.value).join(", ")}`);
    }
    (isSecretField(f) ? out.secrets : out.setup)[f.key] = value;
  }
  if (problems.length) throw new PorticoError("VALIDATION", problems.join("; "));
  return out;
}
