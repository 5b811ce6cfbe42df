import { buildProviderRequest } from "../catalog/provider-request.js";
import type { CatalogEntry } from "../catalog/schema.js";
import type { TemplateValues } from "../catalog/template.js";
import { PorticoError } from "../errors.js";
import type { Outbound, OutboundResponse } from "../http/outbound.js";

const VERIFY_TIMEOUT_MS = 15_000;
const MAX_EXCERPT = 2048;

const excerpt = (res: OutboundResponse) => res.body.toString("utf8", 0, MAX_EXCERPT);

/**
 * Checks credentials with the entry's verification request before anything is saved.
 * Refused -> 400 whose message the hub shows, with the provider's answer as `provider_response`;
 * provider unreachable or failing -> 502.
 */
export async function verifyCredentials(
  outbound: Outbound,
  entry: CatalogEntry,
  values: TemplateValues,
): Promise<void> {
  if (!entry.verify) return;
  const request = buildProviderRequest(entry, values, {
    method: entry.verify.method,
    path: entry.verify.path,
    body: entry.verify.body === undefined ? undefined : JSON.stringify(entry.verify.body),
    headers: entry.verify.body === undefined ? {} : { "content-type": "application/json" },
    timeoutMs: VERIFY_TIMEOUT_MS,
  });
  let res: OutboundResponse;
  try {
    res = await outbound.request({ ...request, maxBodyBytes: 1024 * 1024 });
  } catch (err) {
    const reason = err instanceof PorticoError ? err.message : String(err);
    throw new PorticoError(
      "BAD_GATEWAY",
      `${entry.name} could not be reached to check the credentials: ${reason}`,
      {
        provider_response: reason,
      },
    );
  }
  const expected = Array.isArray(entry.verify.expect_status)
    ? entry.verify.expect_status
    : [entry.verify.expect_status];
  if (expected.includes(res.status)) return;
  const providerErrors = [
    {
      status: res.status,
      url: request.redact!(`${request.url.origin}${request.url.pathname}`),
      raw: null,
      headers: null,
    },
  ];
  if (res.status >= 400 && res.status < 500) {
    throw new PorticoError(
      "PROVIDER_REJECTED",
      `${entry.name} refused these credentials (HTTP ${res.status})`,
      {
        provider_response: excerpt(res),
        provider_errors: providerErrors,
      },
    );
  }
  throw new PorticoError(
    "BAD_GATEWAY",
    `${entry.name} answered HTTP ${res.status} while checking the credentials`,
    {
      provider_response: excerpt(res),
      provider_errors: providerErrors,
    },
  );
}
