/**
 * The one registry of Portico's errors. Every failure a client can see is declared here with its
 * HTTP status and default message, and rendered by one error handler as StackOne's error body
 * `{statusCode, message, timestamp}` (spec section 2.2): the official SDK maps that body to its
 * typed errors only when `statusCode` is a number and `message` a single string.
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, message: "Bad Request" },
  INVALID_JSON: { status: 400, message: "Malformed JSON in request body" },
  VALIDATION: { status: 400, message: "Bad Request" },
  INVALID_SESSION_TOKEN: { status: 400, message: "token: the connect session token is invalid or expired" },
  UNKNOWN_PROVIDER: { status: 400, message: "provider: unknown provider" },
  PROVIDER_REJECTED: { status: 400, message: "The provider refused the credentials" },
  UNAUTHORIZED: { status: 401, message: "Unauthorized" },
  FORBIDDEN: { status: 403, message: "Forbidden resource" },
  NOT_FOUND: { status: 404, message: "Not Found" },
  ACCOUNT_NOT_FOUND: { status: 404, message: "account_id: account not found" },
  REQUEST_TIMEOUT: { status: 408, message: "Request timed out" },
  CONFLICT: { status: 409, message: "Conflict" },
  PRECONDITION_FAILED: { status: 412, message: "Precondition failed" },
  PAYLOAD_TOO_LARGE: { status: 413, message: "Request body is too large" },
  URI_TOO_LONG: { status: 414, message: "URI too long" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "Unsupported Media Type: send application/json" },
  UNPROCESSABLE: { status: 422, message: "Unprocessable Entity" },
  TOO_MANY_REQUESTS: { status: 429, message: "Too many requests" },
  HEADERS_TOO_LARGE: { status: 431, message: "Request header fields too large" },
  INTERNAL: { status: 500, message: "Internal server error" },
  NOT_IMPLEMENTED: { status: 501, message: "Not Implemented" },
  BAD_GATEWAY: { status: 502, message: "Bad Gateway" },
  SERVICE_UNAVAILABLE: { status: 503, message: "Service Unavailable" },
  SHUTTING_DOWN: { status: 503, message: "Service unavailable: this server is shutting down; retry" },
  DATABASE_UNAVAILABLE: {
    status: 503,
    message: "Service unavailable: the database is not answering; retry later",
  },
  GATEWAY_TIMEOUT: { status: 504, message: "Gateway Timeout" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** Extra fields some StackOne bodies carry: `provider_response` for the hub, `provider_errors` for the SDK. */
export type ErrorExtras = Record<string, unknown>;

export class PorticoError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extras: ErrorExtras = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? ERRORS[code].message);
    this.name = "PorticoError";
    this.statusCode = ERRORS[code].status;
  }
}

/**
 * The same error with its message and every string of its body passed through `redact` (an
 * account's secrets removed from what a failed provider call says; catalog/redact.ts).
 */
export function redactError(err: PorticoError, redact: (text: string) => string): PorticoError {
  const deep = (v: unknown): unknown =>
    typeof v === "string"
      ? redact(v)
      : Array.isArray(v)
        ? v.map(deep)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deep(x)]))
          : v;
  return new PorticoError(err.code, redact(err.message), deep(err.extras) as ErrorExtras, err.headers);
}

export type ErrorBody = { statusCode: number; message: string; timestamp: string } & ErrorExtras;

export function errorBody(statusCode: number, message: string, extras: ErrorExtras = {}): ErrorBody {
  return { statusCode, message, timestamp: new Date().toISOString(), ...extras };
}

/** The message a bare status gets when nothing more specific is known. */
export function defaultMessage(status: number): string {
  for (const e of Object.values(ERRORS)) if (e.status === status) return e.message;
  return status >= 500 ? ERRORS.INTERNAL.message : ERRORS.BAD_REQUEST.message;
}
