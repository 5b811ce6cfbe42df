import type { Context } from "../../src/context.js";
import { aad } from "../../src/crypto/envelope.js";
import { createSession, hubFetch } from "./hub.js";
import type { TestServer } from "./test-server.js";
import { runPopup } from "./third-party.js";

/** Links an OAuth account the way the hub does: attempt, popup through the provider, poll. */
export async function connectOAuth(
  s: TestServer,
  integrationId: string,
  session?: { token: string },
  /** The form's setup values, which the hub appends to the popup URL. */
  fields: Record<string, string> = {},
) {
  const sess =
    session ??
    (await createSession(s, {
      origin_owner_id: `oauth-${Date.now()}-${Math.random()}`,
      origin_owner_name: "OAuth Co",
    }));
  const attempt = await (
    await hubFetch(s, sess.token, "/connection_attempts", { method: "POST", body: { token: sess.token } })
  ).json();
  const redirect = encodeURIComponent(`${s.config.publicUrl}/embedded/accounts/callback`);
  const form = Object.entries(fields).map(([k, v]) => `&${k}=${encodeURIComponent(v)}`);
  await runPopup(
    `${s.url}/connect/oauth2/${integrationId}?redirect_uri=${redirect}&token=${sess.token}&connection_attempt_id=${attempt.id}${form.join("")}`,
  );
  const view = await (await hubFetch(s, sess.token, `/connection_attempts/${attempt.id}`)).json();
  if (view.status !== "authenticated") throw new Error(`attempt ended ${JSON.stringify(view)}`);
  return { accountId: view.account.id as string, attemptId: attempt.id as string, token: sess.token };
}

/** Moves an account's access token expiry into the past, as if it had just expired. */
export async function expireAccessToken(ctx: Context, accountId: string): Promise<void> {
  const row = await ctx.database.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", accountId)
    .executeTakeFirstOrThrow();
  const secrets = ctx.accounts.openSecrets(row);
  secrets.tokens!.expires_at = Date.now() - 1000;
  await ctx.database.db
    .updateTable("accounts")
    .set({
      credentials: ctx.vault.encryptJson(secrets, aad("accounts", row.id, "credentials")),
      token_expires_at: secrets.tokens!.expires_at,
    })
    .where("id", "=", accountId)
    .execute();
}
