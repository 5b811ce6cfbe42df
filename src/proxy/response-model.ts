import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import type { ClientContract } from "../http/client-contracts.js";
import type { ProxyResponseApiModel } from "./schemas.js";
import type { ProxyResult } from "./service.js";

const DECODERS: Record<string, (b: Buffer) => Buffer> = {
  gzip: gunzipSync,
  "x-gzip": gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

const TEXTUAL = /^text\/|[/+](json|xml|javascript|csv|yaml|x-www-form-urlencoded)\b|;\s*charset=/i;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The provider's body as bytes a client can read: decoded when it came compressed. */
function decoded(res: ProxyResult): { body: Buffer; headers: Record<string, string | string[]> } {
  const { "content-encoding": encoding, ...rest } = res.headers;
  if (encoding === undefined) return { body: res.body, headers: res.headers };
  const decode = typeof encoding === "string" ? DECODERS[encoding.trim().toLowerCase()] : undefined;
  if (!decode) return { body: res.body, headers: res.headers };
  try {
    return { body: decode(res.body), headers: rest };
  } catch {
    return { body: res.body, headers: res.headers };
  }
}

/** What ProxyResponseApiModel.data may hold: an object, an array of objects, or a scalar. */
function fitsModel(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  return Array.isArray(value) ? value.every(isObject) : true;
}

/**
 * `data` from a provider body: its JSON when it is JSON the model takes, its text otherwise (an
 * array of scalars, HTML, CSV), null when empty, and base64 for bytes that are not text (the
 * content type says which; `POST /portico/v1/proxy/raw` returns such bodies as they are).
 */
function dataOf(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return null;
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return body.toString("base64");
  }
  if (contentType !== undefined && !TEXTUAL.test(contentType)) return body.toString("base64");
  if (contentType === undefined || /json/i.test(contentType)) {
    try {
      const value: unknown = JSON.parse(text);
      if (fitsModel(value)) return value;
    } catch {}
  }
  return text;
}

/**
 * A provider's non-error answer as StackOne's ProxyResponseApiModel (TS SDK 4.32, PHP SDK 0.28.1):
 * `{status, headers, data}` as JSON, which older clients ignore.
 * @see ../../../shared/spec/stackone-api.md section 8, row 2
 */
export function toProxyResponseModel(res: ProxyResult): ProxyResponseApiModel {
  const { body, headers } = decoded(res);
  const contentType = headers["content-type"];
  return {
    status: res.status,
    headers,
    data: dataOf(body, typeof contentType === "string" ? contentType : undefined),
  };
}

/**
 * The HTTP status of that answer: the provider's when the caller's client takes it as success
 * (200, 201, 202; a 204 cannot carry the body), 200 otherwise, the provider's own being `status`.
 */
export function proxySuccessStatus(providerStatus: number, contract: ClientContract): number {
  return providerStatus !== 204 && contract.proxyStatuses.has(providerStatus) ? providerStatus : 200;
}
