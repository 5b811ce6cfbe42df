import http from "node:http";
import Provider from "oidc-provider";
import { freePort } from "./processes.js";

export const SSO_CLIENT = { id: "portico-console", secret: "portico-console-secret" } as const;

/** Who the identity provider signs in next, and whether they refuse instead. */
export type IdpUser = { sub: string; email?: string; email_verified?: boolean };

export type Idp = {
  issuer: string;
  /** The next sign-in's user, or "deny" to refuse it as a user who cancels would. */
  next: IdpUser | "deny";
  /** Every authorization request's query, as the provider received it. */
  authorize: URLSearchParams[];
  close(): Promise<void>;
};

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 for the console's single sign-on: one
 * confidential client, PKCE required, the email scope. Its login and consent pages answer at once
 * for `next`: the tests are about Portico, not this page. `emailInIdToken` false keeps the email
 * out of the ID token (the provider's default), so Portico must ask its userinfo endpoint.
 */
export async function startIdp(redirectUri: string, opts: { emailInIdToken?: boolean } = {}): Promise<Idp> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const users = new Map<string, IdpUser>();
  const idp: Idp = {
    issuer,
    next: { sub: "u-1", email: "ada@acme.example", email_verified: true },
    authorize: [],
    close: async () => {
      await new Promise((r) => server.close(r));
    },
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: SSO_CLIENT.id,
        client_secret: SSO_CLIENT.secret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    scopes: ["openid", "email", "profile"],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    conformIdTokenClaims: opts.emailInIdToken === false,
    pkce: { required: () => true },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Grant: 3600,
      Interaction: 600,
      Session: 3600,
    },
    features: { devInteractions: { enabled: false }, userinfo: { enabled: true } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, id) => {
      const user = users.get(id) ?? { sub: id };
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          ...(user.email !== undefined ? { email: user.email } : {}),
          ...(user.email_verified !== undefined ? { email_verified: user.email_verified } : {}),
        }),
      };
    },
  });
  provider.proxy = false;
  const callback = provider.callback();
  const server = http.createServer(async (req, res) => {
    try {
      const authorize = /^\/auth\?(.*)$/.exec(req.url ?? "");
      if (authorize) idp.authorize.push(new URLSearchParams(authorize[1]));
      if (/^\/interaction\/[^/?]+/.test(req.url ?? "")) {
        const details = await provider.interactionDetails(req, res);
        const next = idp.next;
        if (next === "deny") {
          await provider.interactionFinished(
            req,
            res,
            { error: "access_denied", error_description: "the user cancelled the sign-in" },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        if (details.prompt.name === "login") {
          users.set(next.sub, next);
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: next.sub } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
        const grant = new provider.Grant({
          accountId: details.session?.accountId ?? next.sub,
          clientId: String(details.params.client_id),
        });
        grant.addOIDCScope("openid email profile");
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId: await grant.save() } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      callback(req, res);
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  return idp;
}

export type SsoResult = { status: number; body: string; cookie: string | null; location: string | null };

/**
 * A browser's trip through single sign-on over HTTP: from Portico's /console/sso through the
 * provider and back to the callback, with a cookie jar per host and port. The identity provider
 * keeps a session between trips (as a browser's would), unless `fresh`.
 */
export function ssoBrowser() {
  const jars = new Map<string, Map<string, string>>();
  return async function signIn(
    start: string,
    opts: { tamper?: (url: URL) => void } = {},
  ): Promise<SsoResult> {
    let url = start;
    for (let hop = 0; hop < 25; hop++) {
      const u = new URL(url);
      if (u.pathname === "/console/sso/callback") opts.tamper?.(u);
      const jar = jars.get(u.host) ?? new Map<string, string>();
      jars.set(u.host, jar);
      const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
      const res = await fetch(u, { redirect: "manual", headers: cookie ? { cookie } : {} });
      let session: string | null = null;
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const i = pair!.indexOf("=");
        const name = pair!.slice(0, i);
        const value = pair!.slice(i + 1);
        if (/Max-Age=0/.test(c)) jar.delete(name);
        else jar.set(name, value);
        if (name === "portico_console" && value) session = `${name}=${value}`;
      }
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location && u.pathname !== "/console/sso/callback") {
        url = new URL(location, u).toString();
        continue;
      }
      return { status: res.status, body: await res.text(), cookie: session, location };
    }
    throw new Error("too many redirects");
  };
}
