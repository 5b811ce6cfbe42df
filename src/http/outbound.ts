import dns from "node:dns";
import net from "node:net";
import { Agent, request, errors as undiciErrors } from "undici";
import { PorticoError, redactError } from "../errors.js";
import { telemetry } from "../telemetry/telemetry.js";
import { VERSION } from "../version.js";

/**
 * Every request Portico makes to a third party (verification, OAuth, proxy, webhooks) goes through
 * here. It refuses loopback, link-local and private destinations after DNS resolution, at connect
 * time, so a DNS answer cannot point a provider hostname at the internal network, unless
 * PORTICO_ALLOW_PRIVATE_NETWORKS is on (development and tests). Hosts registered as internal (the
 * sandbox providers) are answered in-process and never touch the network.
 */

const BLOCKED = new net.BlockList();
for (const [net4, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  BLOCKED.addSubnet(net4, prefix, "ipv4");
}
for (const [net6, prefix] of [
  ["::", 96],
  ["::ffff:0:0:0", 96],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["2001:db8::", 32],
  ["64:ff9b::", 96],
] as const) {
  BLOCKED.addSubnet(net6, prefix, "ipv6");
}

/** True for addresses a public service must never be steered to. IPv4-mapped IPv6 is unwrapped. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return BLOCKED.check(mapped[1]!, "ipv4");
  const family = net.isIP(address);
  if (family === 0) return true;
  return BLOCKED.check(address, family === 4 ? "ipv4" : "ipv6");
}

class TimeoutError extends Error {
  override name = "TimeoutError";
}

export class BlockedDestinationError extends Error {
  override name = "BlockedDestinationError";
  readonly code = "PORTICO_BLOCKED_DESTINATION";
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

function guardedLookup(hostname: string, options: dns.LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const list = addresses as dns.LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(new BlockedDestinationError(`${hostname} resolves to a private address`), []);
    if (options.all) return callback(null, list);
    const first = list[0]!;
    callback(null, first.address, first.family);
  });
}

export type OutboundRequest = {
  method: string;
  url: URL;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Overall deadline for the response headers and body. */
  timeoutMs?: number;
  /** Larger bodies fail with a 502 instead of exhausting memory. */
  maxBodyBytes?: number;
  /** Removes the account's secrets from what a failure says (catalog/redact.ts). */
  redact?: (text: string) => string;
};

export type OutboundResponse = {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
};

export type InternalHandler = (req: OutboundRequest) => Promise<OutboundResponse>;

/**
 * Providers refuse or throttle anonymous clients (GitHub answers 403 without a User-Agent), so
 * every request names Portico unless the catalog entry or the caller set one.
 */
export const USER_AGENT = `Portico/${VERSION}`;

function withUserAgent(headers: Record<string, string> | undefined): Record<string, string> {
  if (!headers) return { "user-agent": USER_AGENT };
  for (const k in headers) if (k.length === 10 && k.toLowerCase() === "user-agent") return headers;
  return { ...headers, "user-agent": USER_AGENT };
}

export type OutboundOptions = { allowPrivateNetworks: boolean; timeoutMs: number };

const DEFAULT_MAX_BODY = 10 * 1024 * 1024;

export class Outbound {
  private readonly internal = new Map<string, InternalHandler>();
  private readonly guarded: Agent;
  private readonly open: Agent;

  constructor(private readonly opts: OutboundOptions) {
    const agent = { keepAliveTimeout: 10_000, connections: 64, pipelining: 1 };
    this.guarded = new Agent({ ...agent, connect: { lookup: guardedLookup as never } });
    this.open = new Agent(agent);
  }

  /** Answers requests to `host` in-process (the sandbox providers). */
  mountInternal(host: string, handler: InternalHandler): void {
    this.internal.set(host.toLowerCase(), handler);
  }

  isInternal(url: URL): boolean {
    return this.internal.has(url.host.toLowerCase());
  }

  /**
   * Checks a destination before anything is sent: http(s) only, and not an IP literal in a
   * private range. Hostnames are checked again at connect time, after resolution.
   */
  assertAllowed(url: URL): void {
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new PorticoError("BAD_REQUEST", `url: only http and https destinations are allowed`);
    }
    if (this.isInternal(url) || this.opts.allowPrivateNetworks) return;
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (net.isIP(host) && isPrivateAddress(host)) {
      throw new PorticoError("FORBIDDEN", `url: ${url.host} is a private or loopback address`);
    }
    if (host === "localhost" || host.endsWith(".localhost")) {
      throw new PorticoError("FORBIDDEN", `url: ${url.host} is a loopback host`);
    }
  }

  /**
   * Sends one request. Failures become StackOne errors: 408 when the provider is too slow, 502
   * when it cannot be reached, 403 when the destination is private. With traces on, a client span
   * names the host it went to, never its path or query (a catalog may template a key into either).
   * @see https://opentelemetry.io/docs/specs/semconv/http/http-spans/#http-client
   */
  request(req: OutboundRequest): Promise<OutboundResponse> {
    if (!telemetry.tracing) return this.sendRedacted(req);
    const { url } = req;
    const scheme = url.protocol.slice(0, -1);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const attributes = {
      "http.request.method": req.method,
      // A private catalog entry may template a secret even into the host: the caller's redaction.
      "server.address": req.redact ? req.redact(host) : host,
      "server.port": url.port ? Number(url.port) : scheme === "https" ? 443 : 80,
      "url.scheme": scheme,
    };
    return telemetry.span(
      req.method,
      attributes,
      async (span) => {
        const res = await this.sendRedacted(req);
        span.set({ "http.response.status_code": res.status });
        if (res.status >= 400) span.fail(String(res.status));
        return res;
      },
      "client",
    );
  }

  /** `send`, with the secrets the caller names taken out of any error it raises (`req.redact`). */
  private async sendRedacted(req: OutboundRequest): Promise<OutboundResponse> {
    if (!req.redact) return this.send(req);
    try {
      return await this.send(req);
    } catch (err) {
      throw err instanceof PorticoError ? redactError(err, req.redact) : err;
    }
  }

  private async send(req: OutboundRequest): Promise<OutboundResponse> {
    this.assertAllowed(req.url);
    const handler = this.internal.get(req.url.host.toLowerCase());
    if (handler) return handler(req);
    const timeout = req.timeoutMs ?? this.opts.timeoutMs;
    const max = req.maxBodyBytes ?? DEFAULT_MAX_BODY;
    // One deadline for the whole exchange. A plain timer and controller: AbortSignal.timeout()
    // cost the proxy a third of its throughput in profiles.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError()), timeout);
    try {
      const res = await request(req.url, {
        method: req.method as never,
        headers: withUserAgent(req.headers),
        body: req.body,
        dispatcher: this.opts.allowPrivateNetworks ? this.open : this.guarded,
        signal: controller.signal,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += chunk.length;
        if (size > max) {
          res.body.destroy();
          throw new PorticoError("BAD_GATEWAY", `the provider's response exceeded ${max} bytes`);
        }
        chunks.push(chunk);
      }
      return {
        status: res.statusCode,
        headers: res.headers as Record<string, string | string[]>,
        body: Buffer.concat(chunks),
      };
    } catch (err) {
      throw translate(controller.signal.aborted ? controller.signal.reason : err, req.url);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A fetch() over request(), for libraries that take a custom fetch (oauth4webapi). */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => {
      headers[k] = v;
    });
    let body: string | Buffer | undefined;
    if (typeof init.body === "string") body = init.body;
    else if (init.body instanceof URLSearchParams) body = init.body.toString();
    else if (init.body instanceof Uint8Array) body = Buffer.from(init.body);
    else if (init.body != null) throw new TypeError("unsupported body type");
    const res = await this.request({ method: init.method ?? "GET", url, headers, body });
    const out = new Headers();
    for (const [k, v] of Object.entries(res.headers))
      for (const item of Array.isArray(v) ? v : [v]) out.append(k, item);
    const nullBody = res.status === 204 || res.status === 304 || res.status < 200;
    return new Response(nullBody ? null : new Uint8Array(res.body), { status: res.status, headers: out });
  };

  async close(): Promise<void> {
    await Promise.all([this.guarded.close(), this.open.close()]);
  }
}

function translate(err: unknown, url: URL): PorticoError {
  if (err instanceof PorticoError) return err;
  const e = err as { code?: string; name?: string; cause?: { code?: string; name?: string } };
  const code = e.code ?? e.cause?.code;
  if (
    err instanceof BlockedDestinationError ||
    e.cause instanceof BlockedDestinationError ||
    code === "PORTICO_BLOCKED_DESTINATION"
  ) {
    return new PorticoError("FORBIDDEN", `${url.host} resolves to a private or loopback address`);
  }
  if (
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError ||
    e.name === "TimeoutError" ||
    code === "UND_ERR_CONNECT_TIMEOUT"
  ) {
    return new PorticoError("REQUEST_TIMEOUT", `the provider at ${url.host} did not answer in time`);
  }
  return new PorticoError(
    "BAD_GATEWAY",
    `the provider at ${url.host} could not be reached (${code ?? e.name ?? "error"})`,
    {
      provider_errors: [
        { status: null, url: `${url.origin}${url.pathname}`, raw: { code: code ?? null }, headers: null },
      ],
    },
  );
}
