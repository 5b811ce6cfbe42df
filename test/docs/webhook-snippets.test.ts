import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newWebhookSecret, signedHeaders } from "../../src/webhooks/signing.js";
import { REQUIRE_ALL } from "../helpers/env.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const page = fs.readFileSync(path.join(ROOT, "docs/webhooks.md"), "utf8");

/** The fenced block of `lang` on docs/webhooks.md that defines `marker`. */
function snippet(lang: string, marker: string): string {
  const blocks = [...page.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);
  const found = blocks.find((b) => b.includes(marker));
  if (!found) throw new Error(`docs/webhooks.md has no ${lang} block defining ${marker}`);
  return found;
}

const has = (cmd: string) => {
  try {
    execFileSync(cmd, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
};

/**
 * What a delivery carries, signed by Portico's own signing code: a fresh one, one during a secret
 * rotation checked with the old secret, a tampered body, a replayed (stale) one, a wrong secret, and
 * a body with non-ASCII text (the HMAC is over its UTF-8 bytes in every language).
 */
const secret = newWebhookSecret();
const previous = newWebhookSecret();
const body = JSON.stringify({
  id: "msg_1",
  event: "account.created",
  account_id: "acc_1",
  origin_owner_name: "Zoë AG",
});
const fresh = signedHeaders([secret], "msg_1", body);
const rotating = signedHeaders([secret, previous], "msg_2", body);
const stale = signedHeaders([secret], "msg_3", body, Date.now() - 10 * 60_000);
const CASES = [
  { name: "fresh", secret, headers: fresh, body, expect: [true, true] },
  { name: "rotation, old secret", secret: previous, headers: rotating, body, expect: [true, false] },
  { name: "rotation, new secret", secret, headers: rotating, body, expect: [true, true] },
  {
    name: "tampered body",
    secret,
    headers: fresh,
    body: body.replace("acc_1", "acc_2"),
    expect: [false, false],
  },
  { name: "stale timestamp", secret, headers: stale, body, expect: [false, true] },
  { name: "wrong secret", secret: newWebhookSecret(), headers: fresh, body, expect: [false, false] },
  { name: "no signature", secret, headers: { "webhook-id": "msg_1" }, body, expect: [false, false] },
];
const input = JSON.stringify(CASES.map(({ secret, headers, body }) => ({ secret, headers, body })));
const expected = CASES.map((c) => [c.name, ...c.expect]);

/** Each language's snippet, exactly as the page shows it, judged on the same cases. */
describe("docs/webhooks.md: the signature checks verify what Portico signs", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "portico-snippets-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const judged = (out: string) => (JSON.parse(out) as boolean[][]).map((r, i) => [CASES[i]!.name, ...r]);

  it("TypeScript", () => {
    fs.writeFileSync(path.join(dir, "verify.ts"), snippet("ts", "export function verifyWebhook"));
    fs.writeFileSync(
      path.join(dir, "run.ts"),
      `import { readFileSync } from "node:fs";
import { verifyStackOneSignature, verifyWebhook } from "./verify.ts";
const cases = JSON.parse(readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map((c) => [verifyWebhook(c.secret, c.headers, c.body), verifyStackOneSignature(c.secret, c.headers["x-stackone-signature"], c.body)])));
`,
    );
    const out = execFileSync(path.join(ROOT, "node_modules/.bin/tsx"), [path.join(dir, "run.ts")], { input });
    expect(judged(out.toString())).toEqual(expected);
  });

  const python = has("python3");
  if (!python)
    console.warn(
      `\n!! python3 not found: the Python webhook snippet is not checked${REQUIRE_ALL ? " (counted as failed)" : ""}.\n`,
    );
  it.skipIf(!python && !REQUIRE_ALL)("Python", () => {
    const code = `${snippet("python", "def verify_webhook")}
import json, sys
cases = json.load(sys.stdin)
print(json.dumps([[verify_webhook(c["secret"], c["headers"], c["body"].encode()), verify_stackone_signature(c["secret"], c["headers"].get("x-stackone-signature"), c["body"].encode())] for c in cases]))
`;
    fs.writeFileSync(path.join(dir, "verify.py"), code);
    const out = execFileSync("python3", [path.join(dir, "verify.py")], { input });
    expect(judged(out.toString())).toEqual(expected);
  });

  const php = has("php");
  if (!php)
    console.warn(
      `\n!! php not found: the PHP webhook snippet is not checked${REQUIRE_ALL ? " (counted as failed)" : ""} (apt-get install -y php-cli).\n`,
    );
  it.skipIf(!php && !REQUIRE_ALL)("PHP", () => {
    const code = `${snippet("php", "function verify_webhook(")}
$cases = json_decode(file_get_contents('php://stdin'), true);
echo json_encode(array_map(fn ($c) => [verify_webhook($c['secret'], $c['headers'], $c['body']), verify_stackone_signature($c['secret'], $c['headers']['x-stackone-signature'] ?? null, $c['body'])], $cases)), "\\n";
`;
    fs.writeFileSync(path.join(dir, "verify.php"), code);
    const out = execFileSync("php", [path.join(dir, "verify.php")], { input });
    expect(judged(out.toString())).toEqual(expected);
  });
});
