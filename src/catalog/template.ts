import { PorticoError } from "../errors.js";

/**
 * Catalog templates (`{{name}}`) filled with an account's setup values and credentials. The rules
 * that keep this safe (design/catalog.md): a value is URL-encoded where it lands in a URL, a value
 * in a host must be a single DNS label, and the host keeps the provider's static domain, so a
 * subdomain field can never turn `api.x.com` into `evil.test`.
 */
const PLACEHOLDER = /\{\{\s*([a-z0-9_]+)\s*\}\}/gi;
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export type TemplateValues = Record<string, string | undefined>;

const hostPart = (template: string) => /^https?:\/\/([^/?#]+)/i.exec(template)?.[1] ?? "";

/**
 * The static domain a templated host must keep, e.g. `.bamboohr.com`; null if there is none. After
 * the last placeholder the host must start a new label part (`.` or `-`) and still name a domain of
 * two labels or more: `{{x}}bamboohr.com` would let `evil` make `evilbamboohr.com`, and
 * `api.{{x}}.com` leaves only `.com` fixed.
 */
export function staticHostSuffix(template: string): string | null {
  const host = hostPart(template);
  const tail = host.replace(/^.*\}\}/, "");
  if (tail !== host && !/^[.-]/.test(tail)) return null;
  const fixed = tail === host ? tail : tail.slice(tail.indexOf(".") + 1);
  const labels = (tail.includes(".") || tail === host ? fixed : "").split(".").filter(Boolean);
  return labels.length >= 2 && labels.every((l) => /^[a-z0-9-]+(:\d+)?$/i.test(l)) ? tail : null;
}

function missing(name: string): never {
  throw new PorticoError("VALIDATION", `${name}: is required`);
}

/** Fills a URL template; host values must be DNS labels, path and query values are encoded. */
export function renderUrl(template: string, values: TemplateValues): URL {
  const host = hostPart(template);
  const hostStart = template.indexOf(host);
  const hostEnd = hostStart + host.length;
  const out = template.replace(PLACEHOLDER, (_m, name: string, offset: number) => {
    const v = values[name];
    if (v === undefined || v === "") missing(name);
    if (offset >= hostStart && offset < hostEnd) {
      if (!DNS_LABEL.test(v))
        throw new PorticoError("VALIDATION", `${name}: must be a host name label (letters, digits, dashes)`);
      return v.toLowerCase();
    }
    return encodeURIComponent(v);
  });
  const url = new URL(out);
  const suffix = staticHostSuffix(template);
  if (suffix && !url.host.toLowerCase().endsWith(suffix.toLowerCase())) {
    throw new PorticoError("VALIDATION", "the provider URL left the provider's domain");
  }
  return url;
}

/** Fills a header, query or basic-auth template. CR and LF are refused (no header injection). */
export function renderValue(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) missing(name);
    if (/[\r\n]/.test(v)) throw new PorticoError("VALIDATION", `${name}: must not contain line breaks`);
    return v;
  });
}
