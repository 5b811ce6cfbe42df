import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signedHeaders, stackoneSignature } from "./signing.js";

/** The standardwebhooks package is the oracle: what it accepts, receivers accept. */
describe("webhook signing", () => {
  const body = JSON.stringify({ event: "account.created", account_id: "acc_1" });

  it("signs so the standardwebhooks package verifies", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{32}$/);
    const headers = signedHeaders([secret], "msg_1", body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("fails verification for a tampered body, another secret or an old timestamp", () => {
    const secret = newWebhookSecret();
    const headers = signedHeaders([secret], "msg_2", body);
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(WebhookVerificationError);
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
    const old = signedHeaders([secret], "msg_2", body, Date.now() - 10 * 60_000);
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/timestamp/i);
    const forgedId = { ...headers, "webhook-id": "msg_other" };
    expect(() => new Webhook(secret).verify(body, forgedId)).toThrow(WebhookVerificationError);
  });

  it("signs with both secrets during a rotation", () => {
    const [fresh, old] = [newWebhookSecret(), newWebhookSecret()];
    const headers = signedHeaders([fresh, old], "msg_3", body);
    expect(headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    expect(new Webhook(fresh).verify(body, headers)).toBeTruthy();
    expect(new Webhook(old).verify(body, headers)).toBeTruthy();
    // One signature fits StackOne's header: the newest secret's, as the rotation takes effect.
    expect(headers["x-stackone-signature"]).toBe(stackoneSignature(fresh, body));
  });

  it("adds StackOne's x-stackone-signature over the raw body", () => {
    const secret = newWebhookSecret();
    const headers = signedHeaders([secret], "msg_4", body);
    expect(headers["x-stackone-signature"]).toBe(stackoneSignature(secret, body));
    expect(headers["x-stackone-signature"]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(stackoneSignature(secret, `${body}x`)).not.toBe(headers["x-stackone-signature"]);
  });
});
