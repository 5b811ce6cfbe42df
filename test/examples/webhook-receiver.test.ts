import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../../src/webhooks/signing.js";
import { type ExampleProcess, eventually, startExample, startWebhookExample } from "../helpers/examples.js";
import { createSession, linkSandboxHris } from "../helpers/hub.js";
import { basic, startTestServer, type TestServer } from "../helpers/test-server.js";

/**
 * examples/webhook-receiver as its README runs it (`npm start` with WEBHOOK_SECRET), receiving a
 * live Portico's deliveries. One dialect: the receiver does not depend on Portico's database, whose
 * delivery the webhook suites cover on both.
 */
describe("examples/webhook-receiver", () => {
  let s: TestServer;
  let receiver: ExampleProcess;
  let url: string;
  let secret: string;
  let timer: NodeJS.Timeout;
  beforeAll(async () => {
    s = await startTestServer("sqlite");
    // The delivery worker, polling as `portico serve` does.
    timer = setInterval(() => void s.ctx.webhookWorker.tick().catch(() => {}), 25);
    let base: string;
    ({
      example: receiver,
      base,
      secret,
    } = await startWebhookExample(s, (port, secret) =>
      startExample(
        "webhook-receiver",
        ["npm", "start"],
        { WEBHOOK_SECRET: secret, PORT: String(port) },
        /receiving webhooks on/,
      ),
    ));
    url = `${base}/webhooks`;
  });
  afterAll(async () => {
    clearInterval(timer);
    await s?.ctx.webhookWorker.drain();
    await receiver?.stop();
    await s?.close();
  });

  it("verifies and prints account.created and account.deleted", async () => {
    const session = await createSession(s, { origin_owner_id: "customer-1", origin_owner_name: "Acme Inc" });
    const id = await linkSandboxHris(s, session.token);
    const created = `account.created ${id} (sandbox-hris, owner customer-1) x-stackone-signature ok`;
    await eventually(() => receiver.output().includes(created), receiver.output);

    const deleted = await fetch(`${s.url}/accounts/${id}`, {
      method: "DELETE",
      headers: { authorization: basic(s.apiKey) },
    });
    expect(deleted.status).toBe(200);
    const gone = `account.deleted ${id} (sandbox-hris, owner customer-1) x-stackone-signature ok`;
    await eventually(() => receiver.output().includes(gone), receiver.output);
    expect(receiver.output()).not.toContain("refused");
  });

  it("refuses a forged signature and a replayed (stale) delivery", async () => {
    const body = JSON.stringify({ event: "account.deleted", account_id: "acc_forged" });
    const forged = await fetch(url, {
      method: "POST",
      headers: signedHeaders(["whsec_c29tZW9uZS1lbHNlcy1zZWNyZXQtMTIzNDU2"], "msg_forged", body),
      body,
    });
    expect(forged.status).toBe(401);
    const stale = await fetch(url, {
      method: "POST",
      headers: signedHeaders([secret], "msg_stale", body, Date.now() - 10 * 60_000),
      body,
    });
    expect(stale.status).toBe(401);
    const fresh = await fetch(url, {
      method: "POST",
      headers: signedHeaders([secret], "msg_ok", body),
      body,
    });
    expect(fresh.status).toBe(204);
    await eventually(() => receiver.output().includes("account.deleted acc_forged"), receiver.output);
    expect(receiver.output().match(/refused: bad signature or stale timestamp/g)).toHaveLength(2);
  });
});
