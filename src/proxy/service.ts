import type { AccountsService } from "../accounts/service.js";
import type { AccountRow } from "../accounts/store.js";
import type { Catalog } from "../catalog/catalog.js";
import {
  buildProviderRequest,
  providerBaseUrl,
  withoutTrailingSlashes,
} from "../catalog/provider-request.js";
import { PorticoError } from "../errors.js";
import type { Actor } from "../history/actor.js";
import type { ProviderStep, ProxiedCall } from "../history/request-log-hook.js";
import type { Outbound, OutboundResponse } from "../http/outbound.js";
import type { TokenManager } from "../oauth/token-manager.js";
import { withRetries } from "./retry.js";
import type { ProxyRequestBody } from "./schemas.js";

/** Headers a caller may not set on the provider request: Portico owns auth and the connection. */
const DROP_REQUEST = new Set([
  "authorization",
  "proxy-authorization",
  "cookie",
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "te",
  "upgrade",
  "content-length",
  "x-account-id",
  "x-portico-retry",
]);

/** Provider headers that describe the provider's connection, not the response. */
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "set-cookie",
  "upgrade",
]);

export type ProxyResult = OutboundResponse;

/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * `POST /unified/proxy`: one call to the provider as a linked account, with its credentials
 * injected the way the catalog says, to the provider's own host only. OAuth tokens are refreshed
 * when due and once more when the provider answers 401.
 */
export class ProxyService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly tokens: TokenManager,
    private readonly catalog: Catalog,
    private readonly outbound: Outbound,
    private readonly timeoutMs: number,
    /** Told each proxied call's final status, off the answer's path (health checks count them). */
    private readonly observer?: (row: AccountRow, status: number) => void,
  ) {}

  /**
   * `opts.call`, when given, is filled for the request log as the call goes (provider, URL without
   * query, provider status); `opts.actor` is who a token refresh on the way is attributed to.
   */
  async forward(
    projectId: string,
    accountId: string,
    req: ProxyRequestBody,
    opts: { actor?: Actor; call?: ProxiedCall; retries?: boolean } = {},
  ): Promise<ProxyResult> {
    const deadline = Date.now() + this.timeoutMs;
    const row = await this.accounts.row(projectId, accountId, "x-account-id");
    if (opts.call) opts.call.provider = row.provider;
    const entry = this.catalog.get(row.provider);
    if (!entry) throw new PorticoError("CONFLICT", `provider ${row.provider} is no longer in the catalog`);

    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) {
      // Refused here, by name: the HTTP client would refuse them too, as a 502 that blames the provider.
      if (!HEADER_NAME.test(k)) throw new PorticoError("VALIDATION", `headers.${k}: not a valid header name`);
      if (/[\r\n\0]/.test(String(v)))
        throw new PorticoError("VALIDATION", `headers.${k}: must not contain line breaks or NUL`);
      if (!DROP_REQUEST.has(k.toLowerCase())) headers[k.toLowerCase()] = String(v);
    }
    let body: string | undefined;
    if (req.body !== undefined && req.body !== null && req.method !== "GET" && req.method !== "HEAD") {
      body = typeof req.body === "string" ? req.body : JSON.stringify(req.body);
      headers["content-type"] ??=
        typeof req.body === "string" ? "text/plain; charset=utf-8" : "application/json";
    }

    let lastUrl = "";
    const steps: ProviderStep[] | undefined = opts.call ? [] : undefined;
    if (opts.call) opts.call.steps = steps;
    const send = async (values: Record<string, string | undefined>) => {
      const request = buildProviderRequest(entry, values, {
        method: req.method,
        path: req.path ?? "/",
        headers,
        body,
      });
      if (req.url) this.rebase(request.url, req.url, providerBaseUrl(entry, values));
      // Kept in the request log and repeated in error bodies: never with a secret in it.
      lastUrl = request.redact!(`${request.url.origin}${request.url.pathname}`);
      if (opts.call) opts.call.url = lastUrl;
      // Each attempt (retry.ts) gets what is left of the one time limit.
      return withRetries((timeoutMs) => this.outbound.request({ ...request, timeoutMs }), {
        method: req.method,
        deadline,
        enabled: opts.retries !== false,
        steps,
      });
    };

    let { row: current, values } = await this.tokens.valuesFor(row, { actor: opts.actor });
    let res = await send(values);
    if (res.status === 401 && entry.auth.scheme === "oauth2") {
      // The provider refused a token we thought live (revoked or expired early): refresh once.
      ({ row: current, values } = await this.tokens.valuesFor(current, { force: true, actor: opts.actor }));
      res = await send(values);
    }
    if (opts.call) opts.call.status = res.status;
    this.observer?.(current, res.status);
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(res.headers)) if (!DROP_RESPONSE.has(k.toLowerCase())) out[k] = v;
    if (res.status >= 400) return providerErrorResult(res.status, out, res.body, lastUrl);
    return { status: res.status, headers: out, body: res.body };
  }

  /**
   * A caller-supplied `url` may only move the request within the provider's own host (scheme and
   * port included): anything else would make Portico a door into other hosts.
   */
  private rebase(target: URL, callerUrl: string, base: URL): void {
    if (!URL.canParse(callerUrl)) throw new PorticoError("VALIDATION", "url: must be an absolute URL");
    const u = new URL(callerUrl);
    if (u.origin !== base.origin) {
      throw new PorticoError(
        "FORBIDDEN",
        `url: the proxy only reaches this account's provider at ${base.origin}`,
      );
    }
    const rest = target.pathname.slice(base.pathname.length);
    target.pathname = `${withoutTrailingSlashes(u.pathname)}${rest}`;
    for (const [k, v] of u.searchParams) target.searchParams.append(k, v);
  }
}

/**
 * A provider's error answer, keeping its status, in the shape StackOne clients parse every 4xx
 * and 5xx as: `statusCode`, a string `message` and `timestamp`, with the provider's body in
 * `provider_errors[0].raw`. The official SDK validates that body strictly (its 400 schema types
 * `data` and `provider_errors`, and `raw` must be an object), so the provider's fields are never
 * merged into it: a JSON object body is `raw` itself, anything else is `raw.body`.
 */
export function providerErrorResult(
  status: number,
  headers: Record<string, string | string[]>,
  body: Buffer,
  url: string,
): ProxyResult {
  const encoded = headers["content-encoding"] !== undefined;
  const text = encoded ? null : body.toString("utf8");
  let parsed: unknown = text;
  if (text !== null) {
    try {
      parsed = JSON.parse(text);
    } catch {}
  }
  const object =
    parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  const providerMessage =
    object && typeof object.message === "string" && object.message.trim() ? object.message : null;
  const contentType = headers["content-type"];
  const wire = {
    statusCode: status,
    message: providerMessage ?? `the provider answered HTTP ${status}`,
    timestamp: new Date().toISOString(),
    provider_errors: [
      {
        status,
        url,
        raw: object ?? { body: parsed },
        headers: { "content-type": typeof contentType === "string" ? contentType : null },
      },
    ],
  };
  const out: Record<string, string | string[]> = {
    ...headers,
    "content-type": "application/json; charset=utf-8",
  };
  delete out["content-encoding"];
  return { status, headers: out, body: Buffer.from(JSON.stringify(wire)) };
}
