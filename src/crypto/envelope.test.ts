import { describe, expect, it } from "vitest";
import { aad, Vault } from "./envelope.js";
import { formatKeyring, type Keyring, newKey, parseKeyring } from "./keyring.js";

const ring = (...kids: string[]): Keyring => {
  const keys = new Map(kids.map((k) => [k, newKey()] as const));
  return { primary: kids[0]!, keys };
};

describe("Vault", () => {
  it("round-trips and never contains the plaintext", () => {
    const vault = new Vault(ring("k1"));
    const where = aad("accounts", "acc_1", "credentials");
    const ct = vault.encrypt("super-secret-value", where);
    expect(ct.startsWith("v1.k1.")).toBe(true);
    expect(ct).not.toContain("super-secret-value");
    expect(vault.decrypt(ct, where)).toBe("super-secret-value");
  });

  it("refuses a ciphertext moved to another row or column", () => {
    const vault = new Vault(ring("k1"));
    const ct = vault.encrypt("x", aad("accounts", "acc_1", "credentials"));
    expect(() => vault.decrypt(ct, aad("accounts", "acc_2", "credentials"))).toThrow(/failed authentication/);
    expect(() => vault.decrypt(ct, aad("accounts", "acc_1", "other"))).toThrow(/failed authentication/);
  });

  it("refuses a tampered ciphertext", () => {
    const vault = new Vault(ring("k1"));
    const where = aad("t", 1, "c");
    const parts = vault.encrypt("hello world", where).split(".");
    const ct = Buffer.from(parts[4]!, "base64url");
    ct[0] = ct[0]! ^ 1;
    parts[4] = ct.toString("base64url");
    expect(() => vault.decrypt(parts.join("."), where)).toThrow(/failed authentication/);
  });

  it("decrypts with an old key after rotation and encrypts with the new primary", () => {
    const old = ring("old");
    const ct = new Vault(old).encrypt("v", "a");
    const rotated: Keyring = { primary: "new", keys: new Map([["new", newKey()], ...old.keys]) };
    const vault = new Vault(rotated);
    expect(vault.decrypt(ct, "a")).toBe("v");
    expect(Vault.keyIdOf(vault.encrypt("v", "a"))).toBe("new");
  });

  it("names a key missing from the keyring", () => {
    const ct = new Vault(ring("gone")).encrypt("v", "a");
    expect(() => new Vault(ring("other")).decrypt(ct, "a")).toThrow(/key gone is not in the keyring/);
  });
});

describe("parseKeyring", () => {
  it("parses what formatKeyring writes, primary first", () => {
    const r = ring("a", "b");
    const back = parseKeyring(formatKeyring(r));
    expect(back.primary).toBe("a");
    expect([...back.keys.keys()]).toEqual(["a", "b"]);
    expect(back.keys.get("b")!.equals(r.keys.get("b")!)).toBe(true);
  });

  it("rejects short keys, bad ids, duplicates and empty specs", () => {
    expect(() => parseKeyring("k1:c2hvcnQ=")).toThrow(/32 bytes/);
    expect(() => parseKeyring(`bad id:${newKey().toString("base64")}`)).toThrow(
      /each entry must be <key id>:<base64 key>/,
    );
    const k = newKey().toString("base64");
    expect(() => parseKeyring(`a:${k},a:${k}`)).toThrow(/twice/);
    expect(() => parseKeyring(" , ")).toThrow(/no key/);
  });
});
