import { buildProviderRequest } from "../catalog/provider-request.js";
import { type CatalogEntry, statusList } from "../catalog/schema.js";
import type { TemplateValues } from "../catalog/template.js";
import { PorticoError } from "../errors.js";
import type { Outbound, OutboundResponse } from "../http/outbound.js";

const VERIFY_TIMEOUT_MS = 15_000;
const MAX_EXCERPT = 2048;

const excerpt = (res: OutboundResponse) => res.body.toString("utf8", 0, MAX_EXCERPT);

/** The entry's verification request for these credentials (the same for linking and checks). */
function verificationRequest(
  entry: CatalogEntry,
  verify: NonNullable<CatalogEntry["verify"]>,
  values: TemplateValues,
) {
  const request = buildProviderRequest(entry, values, {
    method: verify.method,
    path: verify.path,
    body: verify.body === undefined ? undefined : JSON.stringify(verify.body),
    headers: verify.body === undefined ? {} : { "content-type": "application/json" },
    timeoutMs: VERIFY_TIMEOUT_MS,
  });
  return { ...request, maxBodyBytes: 1024 * 1024 };
}

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
  const request = verificationRequest(entry, entry.verify, values);
  let res: OutboundResponse;
  try {
    res = await outbound.request(request);
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

/** What a verification request says about credentials, for the health checks. */
export type Probe = {
  outcome: "accepted" | "rejected" | "inconclusive";
  /** The provider's status; null when it did not answer. */
  status: number | null;
  detail: string;
};

/**
 * True when a provider's answer refuses the credentials: a 401, or a status the entry names in
 * `verify.reject_status` that a valid credential never gets (Slack answers both with 200, so its
 * status can tell nothing).
 */
export function rejectsCredentials(entry: CatalogEntry, status: number): boolean {
  if (status === 401) return true;
  if (!entry.verify) return false;
  return (
    statusList(entry.verify.reject_status).includes(status) &&
    !statusList(entry.verify.expect_status).includes(status)
  );
}

/**
 * Runs the entry's verification request with an account's values and says what it found, never
 * throwing for the provider's sake: accepted (an expected status), rejected (a refusal of the
 * credentials), or inconclusive (unreachable, too slow, a 5xx, a 429, anything else).
 */
export async function probeCredentials(
  outbound: Outbound,
  entry: CatalogEntry,
  values: TemplateValues,
): Promise<Probe> {
  if (!entry.verify) return { outcome: "inconclusive", status: null, detail: "no verification request" };
  let res: OutboundResponse;
  try {
    res = await outbound.request(verificationRequest(entry, entry.verify, values));
  } catch (err) {
    return { outcome: "inconclusive", status: null, detail: (err as Error).message };
  }
  if (statusList(entry.verify.expect_status).includes(res.status))
    return { outcome: "accepted", status: res.status, detail: `HTTP ${res.status}` };
  if (rejectsCredentials(entry, res.status))
    return { outcome: "rejected", status: res.status, detail: `HTTP ${res.status}` };
  return { outcome: "inconclusive", status: res.status, detail: `HTTP ${res.status}` };
}
