import pino, { type Logger } from "pino";

/** Query parameters whose values are secrets: session tokens, OAuth codes and state. */
const SECRET_PARAMS = /([?&](?:token|code|state|access_token|refresh_token|client_secret)=)[^&#]*/gi;

export const redactUrl = (url: string): string => url.replace(SECRET_PARAMS, "$1[redacted]");

/**
 * pino with redaction of every place a secret can appear: auth headers, cookies, session tokens
 * in URLs, and any credential-looking key in logged objects.
 */
export function createLogger(level: string): Logger {
  return pino({
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
  });
}
