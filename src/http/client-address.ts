import net from "node:net";
import type { FastifyRequest } from "fastify";

/**
 * Client addresses in one form, so each client counts in exactly one rate-limit bucket. Behind
 * PORTICO_TRUSTED_PROXIES the address comes from `X-Forwarded-For`, which some load balancers
 * write as `ip:port` and which may hold anything at all; taken as written, each port became a
 * bucket of its own, any string did too, and the hex form of IPv4-mapped IPv6 addresses
 * (`::ffff:7f00:1`) put every IPv4 client in one. No regular expression here: `net.isIP` decides
 * what is an address, and the rest is string slicing, linear in the header's length.
 */

/** An IPv6 address (as `net.isIP` accepts it) as its eight 16-bit groups. */
function groups6(address: string): number[] {
  // WHATWG URL serialises IPv6 canonically (lower case, no embedded dotted quad, `::` once).
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = "", tail = ""] = canonical.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const parts = canonical.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  return parts.map((g) => Number.parseInt(g, 16));
}

/**
 * The address in canonical form: IPv4 dotted, IPv4-mapped IPv6 (`::ffff:1.2.3.4`, `::ffff:102:304`,
 * in any spelling) as that IPv4 address, other IPv6 in RFC 5952 form. A port (`1.2.3.4:5678`,
 * `[2001:db8::1]:443`) and an IPv6 zone (`%eth0`) are dropped. Null when it is not an address.
 */
export function normalizeAddress(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let host = raw.trim();
  if (host.length > 100) return null;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    if (close === -1) return null;
    const rest = host.slice(close + 1);
    if (rest && !isPort(rest)) return null;
    host = host.slice(1, close);
  } else {
    const colon = host.indexOf(":");
    // One colon: IPv4 with a port. IPv6 has at least two.
    if (colon !== -1 && colon === host.lastIndexOf(":")) {
      if (!isPort(host.slice(colon))) return null;
      host = host.slice(0, colon);
    }
  }
  const zone = host.indexOf("%");
  if (zone !== -1) host = host.slice(0, zone);
  const family = net.isIP(host);
  if (family === 4) return host;
  if (family !== 6) return null;
  const g = groups6(host);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
  return new URL(`http://[${host}]/`).hostname.slice(1, -1);
}

/** `:` and one to five digits. */
function isPort(text: string): boolean {
  if (text.length < 2 || text.length > 6 || text[0] !== ":") return false;
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The client's address as limits count it: the address Fastify found (X-Forwarded-For from a
 * trusted proxy, else the socket's), normalised; when that is not an address, the socket's own.
 */
export function clientAddress(request: FastifyRequest): string {
  const socket = request.raw.socket?.remoteAddress;
  return normalizeAddress(request.ip) ?? normalizeAddress(socket) ?? socket ?? "unknown";
}

/** An address as limited: IPv4 as is, IPv6 by its /64 (one host often holds a whole /64). */
export function addressBucket(address: string): string {
  const normal = normalizeAddress(address) ?? address;
  if (net.isIP(normal) !== 6) return normal;
  return `${groups6(normal)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}
