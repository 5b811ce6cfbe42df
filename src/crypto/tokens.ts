import { hash, randomFillSync, randomUUID, timingSafeEqual } from "node:crypto";

/** Every secret Portico issues carries a prefix so leaks are recognisable and scanners can find them. */
export const PREFIX = {
  apiKey: "sk_",
  sessionToken: "cst_",
  webhookSecret: "whsec_",
  consoleLink: "pcl_",
  consoleSession: "pcs_",
} as const;

const POOL_BYTES = 4096;
let pool = Buffer.allocUnsafeSlow(0);
let used = 0;

/**
 * Random bytes from the operating system's CSPRNG, drawn in 4 KB at a time and handed out once
 * each: a call into OpenSSL per token was a twentieth of a session create. The pool is this
 * module's own memory (not Node's shared buffer pool), and no byte is handed out twice.
 */
function random(n: number): Buffer {
  if (n > POOL_BYTES) return randomFillSync(Buffer.allocUnsafeSlow(n));
  if (used + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    used = 0;
  }
  const out = pool.subarray(used, used + n);
  used += n;
  return out;
}

/** 32 random bytes, base64url, behind a prefix: the format of API keys and session tokens. */
export function generateSecret(prefix: string, bytes = 32): string {
  return prefix + random(bytes).toString("base64url");
}

/** A short URL-safe random id with a type prefix, for rows whose id appears on the wire. */
export function generateId(prefix: string, bytes = 12): string {
  return prefix + random(bytes).toString("base64url").replace(/[-_]/g, "x");
}

export const generateUuid = (): string => randomUUID();

/** Only this digest of a token or key is stored; a leaked database yields nothing usable. */
export function sha256(value: string): string {
  // The one-shot form: a third of createHash's cost, and every request digests its key and token.
  return hash("sha256", value, "base64url");
}

/** Constant-time comparison of two digests or secrets of any length. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
