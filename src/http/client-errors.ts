import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { ERRORS, errorBody } from "../errors.js";

/** The request line and headers together may be at most this long (Node's default is 16 KB). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** Path parameters (ids up to 255 characters, percent-encoded) may be this long before a 414. */
export const MAX_PARAM_LENGTH = 4096;

/**
 * Node has one limit for the request line and headers together. When the line it overflowed in is
 * the request line (its end, ` HTTP/1.x`, lies past the overflow, or the packet is one unbroken
 * line), the URL is what is too long: a 414; otherwise the headers: a 431.
 */
function urlTooLong(err: { rawPacket?: Buffer; bytesParsed?: number }): boolean {
  const text = err.rawPacket?.toString("latin1") ?? "";
  const overflowAt = err.bytesParsed ?? text.length;
  const lineEnd = text.search(/ HTTP\/\d\.\d\r\n/);
  return lineEnd >= overflowAt || (lineEnd === -1 && !text.includes("\r\n"));
}

/** What the client sent wrong, as a status and the message StackOne's body carries. */
function classify(err: NodeJS.ErrnoException & { rawPacket?: Buffer; bytesParsed?: number }) {
  if (err.code === "ERR_HTTP_REQUEST_TIMEOUT")
    return { status: 408, message: "Request timed out: the request was not received in time" };
  if (err.code === "HPE_HEADER_OVERFLOW") {
    if (urlTooLong(err))
      return { status: 414, message: `${ERRORS.URI_TOO_LONG.message}: at most ${MAX_HEADER_BYTES} bytes` };
    return {
      status: 431,
      message: `${ERRORS.HEADERS_TOO_LARGE.message}: the URL and headers may be at most ${MAX_HEADER_BYTES} bytes together`,
    };
  }
  return { status: 400, message: "Malformed HTTP request" };
}

/**
 * Node's `clientError`: a request the HTTP parser refused, or one not received within the request
 * or headers timeout. Answered with StackOne's body (not Fastify's) whenever nothing has been
 * written on the socket yet, then the connection is closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const state = socket as Socket & {
    _httpMessage?: { headersSent?: boolean } | null;
    parser?: { incoming?: { complete: boolean } | null } | null;
  };
  const inFlight = state._httpMessage;
  // A request still sending its body after its answer went out (a 401 before the body was read)
  // has had its answer: a second one would read as the answer to a request never sent.
  const answered = !inFlight && state.parser?.incoming?.complete === false;
  if (socket.writable && !inFlight?.headersSent && !answered) {
    const { status, message } = classify(err);
    const body = JSON.stringify(errorBody(status, message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}
