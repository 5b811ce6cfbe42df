import pino, { type Logger, type LoggerOptions } from "pino";
import { prettyStream, wantsColors } from "./pretty-log.js";

/** Query parameters whose values are secrets: session tokens, OAuth codes and state. */
const SECRET_PARAMS = /([?&](?:token|code|state|access_token|refresh_token|client_secret)=)[^&#]*/gi;

export const redactUrl = (url: string): string => url.replace(SECRET_PARAMS, "$1[redacted]");

/**
 * pino with redaction of every place a secret can appear: auth headers, cookies, session tokens
 * in URLs, and any credential-looking key in logged objects. Lines go to standard output (or
 * standard error: the CLI keeps stdout for its answers) as JSON for machines, or pretty for people
 * (`auto`: pretty when that output is a terminal); the redaction applies to both.
 */
export function createLogger(
  level: string,
  format: "auto" | "pretty" | "json" = "auto",
  fd: 1 | 2 = 1,
): Logger {
  const out = fd === 1 ? process.stdout : process.stderr;
  const options: LoggerOptions = {
    level,
    redact: {
      paths: [
        "req.headers.authorization",
        "req.headers.cookie",
        'req.headers["x-hub-session-token"]',
        "*.credentials",
        "*.secrets",
        "*.password",
        "*.api_key",
        "*.client_secret",
        "*.access_token",
        "*.refresh_token",
        "*.token",
        "*.secret",
      ],
      censor: "[redacted]",
    },
    serializers: {
      req: (req: { method: string; url: string; ip?: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
        ip: req.ip,
      }),
    },
  };
  if (format === "pretty" || (format === "auto" && out.isTTY === true))
    return pino(options, prettyStream(out, wantsColors(out)));
  return fd === 1 ? pino(options) : pino(options, pino.destination(2));
}
