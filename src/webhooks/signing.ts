import { createHmac, randomBytes } from "node:crypto";
import { PREFIX } from "../crypto/tokens.js";

/**
 * Webhook signatures. Standard Webhooks v1: `webhook-signature: v1,<base64 HMAC-SHA256>` over
 * `<webhook-id>.<webhook-timestamp>.<body>` keyed with the base64-decoded secret after `whsec_`,
 * one signature per valid secret (space-separated) while a rotation overlaps. And StackOne's
 * `x-stackone-signature`: base64url HMAC-SHA256 of the raw body, keyed with the secret as shown.
 * @see https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
/** The user agent every delivery attempt sends. */
export const WEBHOOK_USER_AGENT = "Portico-Webhooks/1";

export const newWebhookSecret = (): string => `${PREFIX.webhookSecret}${randomBytes(24).toString("base64")}`;

const keyOf = (secret: string) => Buffer.from(secret.slice(PREFIX.webhookSecret.length), "base64");

export function standardSignature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac("sha256", keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

export function stackoneSignature(secret: string, body: string): string {
  return createHmac("sha256", secret).update(body).digest("base64url");
}

/**
 * The headers of one delivery attempt, signed with every secret currently valid (newest first).
 * `x-stackone-signature` holds one signature only: the newest secret's, as a rotation takes
 * effect at once. A receiver that checks only that header accepts both secrets while it switches;
 * a delivery it refused meanwhile is retried, so nothing is lost (`webhook-signature` carries
 * both during the overlap).
 */
export function signedHeaders(
  secrets: string[],
  id: string,
  body: string,
  now = Date.now(),
): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": secrets.map((s) => standardSignature(s, id, timestamp, body)).join(" "),
    "x-stackone-signature": stackoneSignature(secrets[0]!, body),
  };
}
