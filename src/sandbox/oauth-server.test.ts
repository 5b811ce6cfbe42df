import { createHash } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zodValidatorCompiler } from "../http/validation.js";
import { SANDBOX_OAUTH_APP } from "./entries.js";
import { SandboxOAuthState, sandboxOAuthServer } from "./oauth-server.js";

const REDIRECT = "http://127.0.0.1/oauth/callback";
const VERIFIER = "v".repeat(43);
const CHALLENGE = createHash("sha256").update(VERIFIER).digest("base64url");
const CLIENT = `Basic ${Buffer.from(`${SANDBOX_OAUTH_APP.clientId}:${SANDBOX_OAUTH_APP.clientSecret}`).toString("base64")}`;

/** The sandbox's authorization server keeps bounded state: its public endpoints cannot grow it without end. */
describe("sandbox OAuth server state", () => {
  let app: FastifyInstance;
  let clock = 1_000_000;
  const state = new SandboxOAuthState(600, { maxCodes: 10, maxTokens: 20 }, () => clock);

  beforeAll(async () => {
    app = Fastify();
    app.setValidatorCompiler(zodValidatorCompiler);
    await app.register(sandboxOAuthServer(state), { prefix: "/sandbox", redirectUri: () => REDIRECT });
  });
  afterAll(() => app?.close());

  const authorize = async () => {
    const res = await app.inject({
      method: "POST",
      url: "/sandbox/oauth/authorize",
      payload: new URLSearchParams({
        client_id: SANDBOX_OAUTH_APP.clientId,
        redirect_uri: REDIRECT,
        response_type: "code",
        code_challenge: CHALLENGE,
        code_challenge_method: "S256",
        decision: "allow",
      }).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    return new URL(res.headers.location as string).searchParams.get("code")!;
  };
  const exchange = (code: string) =>
    app.inject({
      method: "POST",
      url: "/sandbox/oauth/token",
      headers: { authorization: CLIENT, "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        code_verifier: VERIFIER,
      }).toString(),
    });

  it("keeps at most its cap of codes, forgetting the oldest", async () => {
    const codes = [];
    for (let i = 0; i < 50; i++) codes.push(await authorize());
    expect(state.codes.size).toBe(10);
    expect((await exchange(codes[0]!)).statusCode).toBe(400);
    expect((await exchange(codes[49]!)).statusCode).toBe(200);
  });

  it("forgets codes once they expire, and tokens too", async () => {
    const code = await authorize();
    clock += 61_000;
    expect((await exchange(code)).statusCode).toBe(400);
    await authorize();
    expect(state.codes.size).toBe(1);

    const tokens = (await exchange(await authorize())).json();
    const me = () =>
      app.inject({ url: "/sandbox/crm/me", headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect((await me()).statusCode).toBe(200);
    clock += 601_000;
    expect((await me()).statusCode).toBe(401);
    for (let i = 0; i < 30; i++) await exchange(await authorize());
    expect(state.access.size).toBeLessThanOrEqual(20);
    expect(state.refresh.size).toBeLessThanOrEqual(20);
  });
});
