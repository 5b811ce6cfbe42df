/** The console's session cookie: its token only, never readable by scripts, never sent cross-site. */
export const COOKIE_NAME = "portico_console";
export const COOKIE_PATH = "/console";

/** The value of one cookie in a `Cookie` header, or undefined. @see RFC 6265 section 5.4 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * `Set-Cookie` for a single sign-on attempt (its state, nonce and PKCE verifier, encrypted): Lax,
 * because the identity provider sends the browser back with a cross-site navigation, and only on
 * the sign-on paths. An empty value with maxAge 0 clears it.
 */
export function ssoCookie(
  name: string,
  path: string,
  value: string,
  opts: { secure: boolean; maxAgeSeconds: number },
): string {
  return [
    `${name}=${value}`,
    `Path=${path}`,
    `Max-Age=${opts.maxAgeSeconds}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}

/** `Set-Cookie` for a session token; an empty token with maxAge 0 clears it. */
export function sessionCookie(token: string, opts: { secure: boolean; maxAgeSeconds: number }): string {
  return [
    `${COOKIE_NAME}=${token}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${opts.maxAgeSeconds}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(opts.secure ? ["Secure"] : []),
  ].join("; ");
}
