import { type CatalogEntry, isSecretField } from "./schema.js";
import type { TemplateValues } from "./template.js";

export type Redact = (text: string) => string;

export const REDACTED = "[redacted]";

/**
 * Removes an account's secrets from text about its provider calls: the URL the request log keeps
 * and serves to every key of the project, and what error bodies and logs repeat. `catalog lint`
 * refuses secret fields in URLs, so nothing should be found; this is the second line of defence
 * (a private catalog that skipped the lint, a provider that echoes a token into a path). Secrets
 * are the values of every field that is not a setup field, and OAuth tokens; each is removed as
 * typed, URL-encoded and lower-cased (a host name is).
 */
export function secretRedactor(entry: CatalogEntry, values: TemplateValues): Redact {
  const setup = new Set(entry.auth.fields.filter((f) => !isSecretField(f)).map((f) => f.key));
  const forms = new Set<string>();
  for (const [key, value] of Object.entries(values)) {
    if (!value || setup.has(key)) continue;
    forms.add(value);
    forms.add(encodeURIComponent(value));
    forms.add(value.toLowerCase());
  }
  // Longest first, so a secret that contains another is removed whole.
  const list = [...forms].sort((a, b) => b.length - a.length);
  if (!list.length) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.replaceAll(s, REDACTED);
    return out;
  };
}
