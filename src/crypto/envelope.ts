import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { Keyring } from "./keyring.js";

/**
 * AES-256-GCM envelope `v1.<kid>.<iv>.<tag>.<ciphertext>` (base64url parts). The additional
 * authenticated data names the row and column (`table:id:column`), so a ciphertext copied into
 * another row or column fails to decrypt instead of handing one account's secret to another.
 * @see NIST SP 800-38D (GCM, 96-bit random IVs)
 */
export class Vault {
  constructor(private readonly ring: Keyring) {}

  get primaryKeyId(): string {
    return this.ring.primary;
  }

  encrypt(plaintext: string, aad: string): string {
    const kid = this.ring.primary;
    const key = this.ring.keys.get(kid)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(Buffer.from(aad));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [
      "v1",
      kid,
      iv.toString("base64url"),
      cipher.getAuthTag().toString("base64url"),
      ct.toString("base64url"),
    ].join(".");
  }

  decrypt(envelope: string, aad: string): string {
    const [v, kid, iv, tag, ct] = envelope.split(".");
    if (v !== "v1" || !kid || iv === undefined || tag === undefined || ct === undefined) {
      throw new VaultError("not a Portico v1 ciphertext");
    }
    const key = this.ring.keys.get(kid);
    if (!key) throw new VaultError(`key ${kid} is not in the keyring (set PORTICO_ENCRYPTION_KEYS)`);
    try {
      const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([d.update(Buffer.from(ct, "base64url")), d.final()]).toString("utf8");
    } catch {
      throw new VaultError(`ciphertext for ${aad} failed authentication`);
    }
  }

  encryptJson(value: unknown, aad: string): string {
    return this.encrypt(JSON.stringify(value), aad);
  }

  decryptJson<T>(envelope: string, aad: string): T {
    return JSON.parse(this.decrypt(envelope, aad)) as T;
  }

  /** Key id of an envelope, so rotation can find rows still written under an old key. */
  static keyIdOf(envelope: string): string | undefined {
    return envelope.split(".")[1];
  }
}

export class VaultError extends Error {
  override name = "VaultError";
}

export const aad = (table: string, id: string | number, column: string): string => `${table}:${id}:${column}`;
