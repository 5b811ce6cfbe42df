import type { OutboundRequest } from "../http/outbound.js";
import { secretRedactor } from "./redact.js";
import type { CatalogEntry } from "./schema.js";
import { renderUrl, renderValue, type TemplateValues } from "./template.js";

/**
 * Builds a request to a provider from its catalog entry and an account's values (setup fields,
 * credentials, OAuth tokens): the base URL filled in, credentials injected the way the entry says.
 * Pure, so verification, the proxy and tests share it (build the request, then process the response).
 */
export type ProviderCall = {
  method: string;
  /** Path below the base URL, with an optional query string. */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  body?: string | Buffer;
  timeoutMs?: number;
};

/**
 * A path without its trailing slashes, in one pass from the end. `/\/+$/` looks like the same but
 * is quadratic on a run of slashes that does not end the text (every slash of the run starts a
 * new attempt), and proxy callers choose the path: 4,000 slashes cost 50 ms a call.
 */
export function withoutTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 0 && path.charCodeAt(end - 1) === 47) end--;
  return end === path.length ? path : path.slice(0, end);
}

/** The provider's base URL for these values, as a URL whose path ends without a slash. */
export function providerBaseUrl(entry: CatalogEntry, values: TemplateValues): URL {
  const url = renderUrl(entry.api.base_url, values);
  url.pathname = withoutTrailingSlashes(url.pathname);
  return url;
}

export function buildProviderRequest(
  entry: CatalogEntry,
  values: TemplateValues,
  call: ProviderCall,
): OutboundRequest {
  const base = providerBaseUrl(entry, values);
  const [pathPart, queryPart] = call.path.split("?", 2) as [string, string | undefined];
  const url = new URL(base.toString());
  url.pathname = `${base.pathname}/${pathPart.replace(/^\/+/, "")}`.replace(/\/{2,}/g, "/");
  if (queryPart) for (const [k, v] of new URLSearchParams(queryPart)) url.searchParams.append(k, v);
  for (const [k, v] of Object.entries(call.query ?? {}))
    for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry.api.headers)) headers[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(call.headers ?? {})) headers[k.toLowerCase()] = v;
  const inject = entry.api.inject;
  for (const [k, v] of Object.entries(inject.headers ?? {}))
    headers[k.toLowerCase()] = renderValue(v, values);
  if (inject.bearer) headers.authorization = `Bearer ${renderValue(inject.bearer, values)}`;
  if (inject.basic) {
    const user = renderValue(inject.basic.username, values);
    const pass = renderValue(inject.basic.password, values);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
  }
  for (const [k, v] of Object.entries(inject.query ?? {})) url.searchParams.set(k, renderValue(v, values));
  return {
    method: call.method.toUpperCase(),
    url,
    headers,
    body: call.body,
    timeoutMs: call.timeoutMs,
    redact: secretRedactor(entry, values),
  };
}
