import { PorticoError } from "../errors.js";
import type { Outbound, OutboundResponse } from "../http/outbound.js";
import { buildProviderRequest } from "./provider-request.js";
import { type CatalogEntry, statusList } from "./schema.js";
import { renderUrl, type TemplateValues } from "./template.js";

/**
 * `portico catalog verify`: asks each provider whether its catalog entry still holds, without any
 * real credential. The base URL and the OAuth endpoints must answer (DNS, TLS, no 404 on the
 * method the flow uses), and the verification request, sent with a deliberately wrong credential,
 * must get the refusal the entry expects: a 404 or a redirect to a login page there means the
 * provider moved something and linking accounts would fail.
 */

/** What every secret field and token is set to: plainly not a credential. */
export const WRONG_CREDENTIAL = "portico-catalog-verify-wrong-credential";
const TIMEOUT_MS = 15_000;
const MAX_BODY = 256 * 1024;

export type CheckName = "base_url" | "authorize_url" | "token_url" | "refresh_url" | "verify";

export type Check = {
  check: CheckName;
  method: string;
  url: string;
  /** The provider's HTTP status; null when it could not be reached. */
  status: number | null;
  /** ok: as the entry says; drift: the provider no longer matches it; unsure: an example tenant failed. */
  result: "ok" | "drift" | "unsure";
  message: string;
};

export type ProviderReport = { provider: string; name: string; drifted: boolean; checks: Check[] };

/**
 * Values to fill the entry's templates with: the operator's `--value key=value` first, then the
 * field's default, then its placeholder (the documented example); secrets get the wrong credential.
 */
function probeValues(entry: CatalogEntry, overrides: Record<string, string>): TemplateValues {
  const values: TemplateValues = { access_token: WRONG_CREDENTIAL };
  for (const f of entry.auth.fields) {
    const secret = f.secret !== false;
    values[f.key] =
      overrides[f.key] ??
      (secret ? WRONG_CREDENTIAL : (f.value ?? f.options?.[0]?.value ?? f.placeholder ?? "example"));
  }
  return values;
}

const header = (res: OutboundResponse, name: string) => {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const isHtml = (res: OutboundResponse) => /text\/html/i.test(header(res, "content-type") ?? "");

type Sent = { res: OutboundResponse } | { error: string };

async function send(
  outbound: Outbound,
  method: string,
  url: URL,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<Sent> {
  try {
    return {
      res: await outbound.request({
        method,
        url,
        headers,
        body,
        timeoutMs: TIMEOUT_MS,
        maxBodyBytes: MAX_BODY,
      }),
    };
  } catch (err) {
    return { error: err instanceof PorticoError ? err.message : String(err) };
  }
}

const unreachable = (check: CheckName, method: string, url: URL, error: string): Check => ({
  check,
  method,
  url: url.toString(),
  status: null,
  result: "drift",
  message: error,
});

const moved = (res: OutboundResponse) =>
  res.status === 404 || res.status === 410
    ? `answered ${res.status}: the endpoint has moved or been removed`
    : res.status >= 300 && res.status < 400
      ? `redirects (${res.status}) to ${header(res, "location") ?? "nowhere"}`
      : null;

async function checkBaseUrl(outbound: Outbound, entry: CatalogEntry, values: TemplateValues): Promise<Check> {
  const url = renderUrl(entry.api.base_url, values);
  const sent = await send(outbound, "GET", url);
  if ("error" in sent) return unreachable("base_url", "GET", url, sent.error);
  // A base URL need not serve anything itself: any HTTP answer proves the host is there.
  return {
    check: "base_url",
    method: "GET",
    url: url.toString(),
    status: sent.res.status,
    result: "ok",
    message: `answers (${sent.res.status})`,
  };
}

/** The authorize page must exist; a redirect to a login page is what it normally does. */
async function checkAuthorize(outbound: Outbound, template: string, values: TemplateValues): Promise<Check> {
  const url = renderUrl(template, values);
  const sent = await send(outbound, "GET", url);
  if ("error" in sent) return unreachable("authorize_url", "GET", url, sent.error);
  const { status } = sent.res;
  const drift = status === 404 || status === 410 || status === 405 || status >= 500;
  return {
    check: "authorize_url",
    method: "GET",
    url: url.toString(),
    status,
    result: drift ? "drift" : "ok",
    message: drift ? `answered ${status} to GET` : `answers GET (${status})`,
  };
}

/**
 * The token endpoint gets the POST the flow sends, with a made-up code and client: it should
 * refuse (400 or 401, RFC 6749 section 5.2), not 404, 405 or redirect.
 */
async function checkToken(
  outbound: Outbound,
  check: "token_url" | "refresh_url",
  entry: CatalogEntry,
  template: string,
  values: TemplateValues,
): Promise<Check> {
  const url = renderUrl(template, values);
  const grant = entry.auth.oauth2?.grant ?? "authorization_code";
  const form = new URLSearchParams(
    check === "refresh_url"
      ? { grant_type: "refresh_token", refresh_token: WRONG_CREDENTIAL }
      : grant === "client_credentials"
        ? { grant_type: "client_credentials" }
        : {
            grant_type: "authorization_code",
            code: WRONG_CREDENTIAL,
            redirect_uri: "https://example.com/cb",
          },
  );
  const headers: Record<string, string> = {
    "content-type": "application/x-www-form-urlencoded",
    accept: "application/json",
  };
  // The made-up client goes where the entry says this provider takes it.
  if (entry.auth.oauth2?.token_auth === "client_secret_basic")
    headers.authorization = `Basic ${Buffer.from(`${WRONG_CREDENTIAL}:${WRONG_CREDENTIAL}`).toString("base64")}`;
  else {
    form.set("client_id", WRONG_CREDENTIAL);
    if (entry.auth.oauth2?.token_auth === "client_secret_post") form.set("client_secret", WRONG_CREDENTIAL);
  }
  const sent = await send(outbound, "POST", url, headers, form.toString());
  if ("error" in sent) return unreachable(check, "POST", url, sent.error);
  const { res } = sent;
  const problem =
    moved(res) ??
    (res.status === 405 ? "answered 405: POST is no longer accepted" : null) ??
    (res.status >= 500 ? `answered ${res.status}` : null) ??
    (isHtml(res) ? `answered ${res.status} with an HTML page, not an OAuth error` : null);
  return {
    check,
    method: "POST",
    url: url.toString(),
    status: res.status,
    result: problem ? "drift" : "ok",
    message: problem ?? `refuses a made-up grant (${res.status})`,
  };
}

async function checkVerify(outbound: Outbound, entry: CatalogEntry, values: TemplateValues): Promise<Check> {
  const v = entry.verify!;
  const request = buildProviderRequest(entry, values, {
    method: v.method,
    path: v.path,
    body: v.body === undefined ? undefined : JSON.stringify(v.body),
    headers: v.body === undefined ? {} : { "content-type": "application/json" },
  });
  const sent = await send(outbound, request.method, request.url, request.headers, request.body);
  const base = { check: "verify" as const, method: request.method, url: request.url.toString() };
  if ("error" in sent) return unreachable("verify", request.method, request.url, sent.error);
  const { res } = sent;
  const expected = statusList(v.reject_status);
  if (expected.length === 0)
    return { ...base, status: res.status, result: "unsure", message: "the entry has no reject_status" };
  const refusedAsExpected = expected.includes(res.status) && !(res.status < 300 && isHtml(res));
  if (refusedAsExpected)
    return {
      ...base,
      status: res.status,
      result: "ok",
      message: `refuses a wrong credential (${res.status})`,
    };
  const why =
    moved(res) ??
    (isHtml(res) ? `answered ${res.status} with an HTML page (a login page?)` : null) ??
    `answered ${res.status}`;
  return {
    ...base,
    status: res.status,
    result: "drift",
    message: `${why}; the entry expects ${expected.join(" or ")} for a wrong credential`,
  };
}

/** A request that could not even be built (a --value that is not a host label) is not drift. */
async function guarded(check: CheckName, template: string, run: () => Promise<Check>): Promise<Check> {
  try {
    return await run();
  } catch (err) {
    return {
      check,
      method: "-",
      url: template,
      status: null,
      result: "unsure",
      message: (err as Error).message,
    };
  }
}

/**
 * A host built from a setup value (a tenant's subdomain) is probed with an example tenant, which
 * may not exist: its failures say nothing until the operator names a real tenant.
 */
function tenantGuess(check: Check, entry: CatalogEntry, template: string, overrides: Record<string, string>) {
  const host = /^https?:\/\/([^/?#]*)/i.exec(template)?.[1] ?? "";
  const guessed = [...host.matchAll(/\{\{\s*([a-z0-9_]+)\s*\}\}/gi)]
    .map((m) => m[1]!)
    .filter((n) => !(n in overrides));
  if (check.result !== "drift" || guessed.length === 0) return check;
  const flags = guessed.map((n) => `--value ${n}=<a real one>`).join(" ");
  return {
    ...check,
    result: "unsure" as const,
    message: `${check.message} (with the example tenant; pass ${flags} to check ${entry.name} for real)`,
  };
}

export async function verifyProvider(
  outbound: Outbound,
  entry: CatalogEntry,
  overrides: Record<string, string> = {},
): Promise<ProviderReport> {
  const values = probeValues(entry, overrides);
  const o = entry.auth.oauth2;
  const base = entry.api.base_url;
  const planned: [CheckName, string, () => Promise<Check>][] = [
    ["base_url", base, () => checkBaseUrl(outbound, entry, values)],
  ];
  if (o?.authorize_url) {
    const t = o.authorize_url;
    planned.push(["authorize_url", t, () => checkAuthorize(outbound, t, values)]);
  }
  if (o)
    planned.push([
      "token_url",
      o.token_url,
      () => checkToken(outbound, "token_url", entry, o.token_url, values),
    ]);
  if (o?.refresh_url && o.refresh_url !== o.token_url) {
    const t = o.refresh_url;
    planned.push(["refresh_url", t, () => checkToken(outbound, "refresh_url", entry, t, values)]);
  }
  if (entry.verify) planned.push(["verify", base, () => checkVerify(outbound, entry, values)]);
  const checks = await Promise.all(
    planned.map(async ([name, template, run]) =>
      tenantGuess(await guarded(name, template, run), entry, template, overrides),
    ),
  );
  return {
    provider: entry.key,
    name: entry.name,
    drifted: checks.some((c) => c.result === "drift"),
    checks,
  };
}

/** Checks the providers a few at a time: enough to be quick, few enough to be polite. */
export async function verifyCatalog(
  outbound: Outbound,
  entries: readonly CatalogEntry[],
  overrides: Record<string, string> = {},
  concurrency = 6,
): Promise<ProviderReport[]> {
  const reports: ProviderReport[] = new Array(entries.length);
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      reports[i] = await verifyProvider(outbound, entries[i]!, overrides);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, worker));
  return reports;
}
