import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export type Keyring = {
  /** Key id new ciphertexts are written with. */
  primary: string;
  keys: Map<string, Buffer>;
};

export class KeyringError extends Error {
  override name = "KeyringError";
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `kid:base64key[,kid:base64key...]`: the first entry encrypts, all of them decrypt,
 * so a new key can be put first while rows written under an older one stay readable.
 */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  let primary = "";
  for (const part of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const i = part.indexOf(":");
    const kid = part.slice(0, i);
    const key = Buffer.from(part.slice(i + 1), "base64");
    if (i < 1 || !KID.test(kid))
      throw new KeyringError(
        `PORTICO_ENCRYPTION_KEYS: each entry must be <key id>:<base64 key>, got "${part.slice(0, 12)}..."`,
      );
    if (key.length !== 32)
      throw new KeyringError(`PORTICO_ENCRYPTION_KEYS: key ${kid} must be 32 bytes, base64`);
    if (keys.has(kid)) throw new KeyringError(`PORTICO_ENCRYPTION_KEYS: key id ${kid} appears twice`);
    keys.set(kid, key);
    if (!primary) primary = kid;
  }
  if (!primary) throw new KeyringError("PORTICO_ENCRYPTION_KEYS: no key given");
  return { primary, keys };
}

export const formatKeyring = (ring: Keyring): string =>
  [ring.primary, ...[...ring.keys.keys()].filter((k) => k !== ring.primary)]
    .map((kid) => `${kid}:${ring.keys.get(kid)!.toString("base64")}`)
    .join(",");

export const newKey = (): Buffer => randomBytes(32);

export const newKeyId = (): string => `k${Date.now().toString(36)}`;

export const keyringFile = (dataDir: string): string => path.join(dataDir, "keyring");

/**
 * The keyring from config, else from the data directory, else a new one written there (mode 0600).
 * `created` tells the caller to say so: losing that file means losing every stored credential.
 */
export function loadKeyring(
  spec: string | undefined,
  dataDir: string,
): { ring: Keyring; created: string | null } {
  if (spec) return { ring: parseKeyring(spec), created: null };
  const file = keyringFile(dataDir);
  if (fs.existsSync(file)) return { ring: parseKeyring(fs.readFileSync(file, "utf8")), created: null };
  const ring: Keyring = { primary: newKeyId(), keys: new Map() };
  ring.keys.set(ring.primary, newKey());
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, `${formatKeyring(ring)}\n`, { mode: 0o600, flag: "wx" });
  } catch (err) {
    // Another process starting at the same moment created it first: use that one, once written.
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    let text = fs.readFileSync(file, "utf8");
    for (let i = 0; i < 40 && !text.trim(); i++) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
      text = fs.readFileSync(file, "utf8");
    }
    return { ring: parseKeyring(text), created: null };
  }
  return { ring, created: file };
}
