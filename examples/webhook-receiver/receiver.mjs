#!/usr/bin/env node
// A minimal webhook receiver for Portico: verifies the Standard Webhooks signature (and
// StackOne's x-stackone-signature) with node:crypto only, rejects stale timestamps, de-duplicates
// by webhook-id, and prints each event.
//
//   WEBHOOK_SECRET=whsec_... node receiver.mjs      (listens on 127.0.0.1:4567; PORT changes it)
//
// While switching after `portico webhooks rotate-secret`, give both secrets, the new one first:
// WEBHOOK_SECRET=whsec_new,whsec_old. Any one of them verifying is enough.
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";

const secrets = (process.env.WEBHOOK_SECRET ?? "").split(",").map((s) => s.trim());
if (!secrets.every((s) => s.startsWith("whsec_"))) {
  console.error("Set WEBHOOK_SECRET to the whsec_... secret printed by `portico webhooks add`.");
  process.exit(1);
}
const port = Number(process.env.PORT ?? 4567);
const seen = new Set();

const same = (a, b) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
const standardSignature = (secret, id, ts, body) =>
  createHmac("sha256", Buffer.from(secret.slice("whsec_".length), "base64"))
    .update(`${id}.${ts}.${body}`)
    .digest("base64");
const stackoneSignature = (secret, body) => createHmac("sha256", secret).update(body).digest("base64url");

function verify(headers, body) {
  const id = headers["webhook-id"];
  const ts = Number(headers["webhook-timestamp"]);
  if (!id || !ts || Math.abs(Date.now() / 1000 - ts) > 300) return false;
  // Several signatures arrive while a secret rotation overlaps: any one valid is enough.
  const sent = String(headers["webhook-signature"] ?? "")
    .split(" ")
    .map((sig) => sig.replace(/^v1,/, ""));
  return secrets.some((secret) => sent.some((sig) => same(sig, standardSignature(secret, id, ts, body))));
}

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (!verify(req.headers, body)) {
        console.log("refused: bad signature or stale timestamp");
        return res.writeHead(401).end();
      }
      const stackone = String(req.headers["x-stackone-signature"] ?? "");
      const stackoneOk = secrets.some((secret) => same(stackone, stackoneSignature(secret, body)));
      const id = req.headers["webhook-id"];
      res.writeHead(204).end();
      if (seen.has(id)) return; // at-least-once delivery: the same id may come again
      seen.add(id);
      const event = JSON.parse(body);
      console.log(
        `${event.event} ${event.account_id} (${event.provider}, owner ${event.origin_owner_id})` +
          ` x-stackone-signature ${stackoneOk ? "ok" : "MISMATCH"}`,
      );
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`receiving webhooks on http://127.0.0.1:${port}/webhooks`));
