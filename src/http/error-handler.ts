import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { DatabaseAvailability } from "../db/availability.js";
import { defaultMessage, ERRORS, errorBody, PorticoError } from "../errors.js";
import { MAX_PARAM_LENGTH } from "./client-errors.js";

/** Fastify's own request errors, translated to the registry's messages. */
const FASTIFY_ERRORS: Record<string, { status: number; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: ERRORS.INVALID_JSON,
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    message: "body: must be a JSON object, the request body is empty",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: ERRORS.PAYLOAD_TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ERRORS.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, message: "Content-Length does not match the body" },
  FST_ERR_BAD_URL: { status: 400, message: "path: malformed percent-encoding in the URL" },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    message: `path: a path parameter may be at most ${MAX_PARAM_LENGTH} characters`,
  },
};

declare module "fastify" {
  interface FastifyContextConfig {
    /** Hub routes: error bodies also carry `provider_response` as a string (hub-api.md section 4). */
    hub?: boolean;
  }
}

/** How long a client should wait before retrying while the database is not answering. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

type ErrorHandler = (err: FastifyError | PorticoError, request: FastifyRequest, reply: FastifyReply) => void;

/**
 * Renders every error as StackOne's body. A database that cannot be reached or does not answer in
 * time is a 503 with Retry-After (logged once per outage by `availability`, not per request).
 * Anything else not declared in the registry is a 500 whose details go to the log, never to the
 * client.
 */
export const createErrorHandler =
  (availability: DatabaseAvailability): ErrorHandler =>
  (err, request, reply) => {
    if (!(err instanceof PorticoError) && availability.report(err)) {
      reply.header("retry-after", String(DATABASE_RETRY_AFTER_SECONDS));
      return render(request, reply, ERRORS.DATABASE_UNAVAILABLE.status, ERRORS.DATABASE_UNAVAILABLE.message);
    }
    return renderError(err, request, reply);
  };

function renderError(err: FastifyError | PorticoError, request: FastifyRequest, reply: FastifyReply) {
  let status: number;
  let message: string;
  let extras: Record<string, unknown> = {};
  if (err instanceof PorticoError) {
    status = err.statusCode;
    message = err.message;
    extras = err.extras;
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  } else if (err.code === "22021" || err.code === "22P05") {
    // PostgreSQL refuses NUL characters in text (SQLite stores them): the client's input, not a fault.
    status = 400;
    message = "request: text values may not contain NUL (\\u0000) characters";
  } else if (err.code && FASTIFY_ERRORS[err.code]) {
    ({ status, message } = FASTIFY_ERRORS[err.code]!);
  } else if (err.validation) {
    status = 400;
    message = err.message;
  } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    status = err.statusCode;
    message = defaultMessage(status);
  } else {
    request.log.error({ err, reqId: request.id }, "unhandled error");
    status = 500;
    message = ERRORS.INTERNAL.message;
  }
  if (status >= 500)
    request.log.warn({ reqId: request.id, url: request.routeOptions.url, status, message }, "request failed");
  return render(request, reply, status, message, extras);
}

function render(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
  extras: Record<string, unknown> = {},
) {
  if (request.routeOptions.config?.hub && typeof extras.provider_response !== "string") {
    extras = {
      ...extras,
      provider_response:
        typeof extras.provider_response === "undefined" ? "" : JSON.stringify(extras.provider_response),
    };
  }
  return reply
    .status(status)
    .type("application/json; charset=utf-8")
    .send(errorBody(status, message, extras));
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  const path = request.url.split("?")[0];
  return reply
    .status(404)
    .type("application/json; charset=utf-8")
    .send(errorBody(404, `Route ${request.method} ${path} not found`));
}
