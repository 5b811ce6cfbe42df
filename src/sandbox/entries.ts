import type { CatalogEntry } from "../catalog/schema.js";
import { fromRoot } from "../paths.js";

/**
 * Built-in demo providers, served by Portico itself under /sandbox and reached in-process through
 * the virtual host below, so linking, verification and the proxy work offline. On by default;
 * PORTICO_SANDBOX=false removes them from the catalog.
 */
export const SANDBOX_HOST = "sandbox.portico.internal";
export const SANDBOX_LOGO_DIR = fromRoot("src", "sandbox", "logos");

export const SANDBOX_CREDENTIALS = {
  hrisApiKey: "sandbox-demo-key",
  atsUsername: "demo",
  atsPassword: "sandbox-password",
} as const;

/** The OAuth app every project uses for Sandbox CRM unless it registers its own. */
export const SANDBOX_OAUTH_APP = {
  clientId: "portico-sandbox",
  clientSecret: "portico-sandbox-secret",
  scopes: null,
} as const;

export const isSandboxProvider = (key: string): boolean =>
  key === "sandbox-hris" || key === "sandbox-ats" || key === "sandbox-crm";

/**
 * The sandbox entries; their docs link is Portico's own /sandbox page. Sandbox CRM's authorize page
 * is the one URL a browser must reach, so it is on the public URL; its token endpoint and API are
 * on the in-process host like the others.
 */
export const sandboxEntries = (publicUrl: string): CatalogEntry[] => [
  {
    key: "sandbox-hris",
    name: "Sandbox HRIS",
    categories: ["hris"],
    logo: "sandbox-hris.svg",
    docs: `${publicUrl}/sandbox`,
    sources: [`${publicUrl}/sandbox`],
    aliases: [],
    auth: {
      scheme: "api_key",
      fields: [
        {
          key: "api_key",
          label: "API key",
          type: "password",
          required: true,
          placeholder: SANDBOX_CREDENTIALS.hrisApiKey,
          description: `Portico's offline demo HRIS. Use the demo key \`${SANDBOX_CREDENTIALS.hrisApiKey}\`; any other key is refused.`,
        },
      ],
    },
    api: {
      base_url: `https://${SANDBOX_HOST}/hris`,
      headers: { accept: "application/json" },
      inject: { bearer: "{{api_key}}" },
    },
    verify: { method: "GET", path: "/me", expect_status: 200 },
  },
  {
    key: "sandbox-ats",
    name: "Sandbox ATS",
    categories: ["ats"],
    logo: "sandbox-ats.svg",
    docs: `${publicUrl}/sandbox`,
    sources: [`${publicUrl}/sandbox`],
    aliases: [],
    auth: {
      scheme: "basic",
      fields: [
        {
          key: "username",
          label: "Username",
          type: "text",
          required: true,
          secret: false,
          placeholder: SANDBOX_CREDENTIALS.atsUsername,
          description: `Portico's offline demo ATS with basic credentials: \`${SANDBOX_CREDENTIALS.atsUsername}\` / \`${SANDBOX_CREDENTIALS.atsPassword}\`.`,
        },
        { key: "password", label: "Password", type: "password", required: true },
      ],
    },
    api: {
      base_url: `https://${SANDBOX_HOST}/ats`,
      headers: { accept: "application/json" },
      inject: { basic: { username: "{{username}}", password: "{{password}}" } },
    },
    verify: { method: "GET", path: "/me", expect_status: 200 },
  },
  {
    key: "sandbox-crm",
    name: "Sandbox CRM",
    categories: ["crm"],
    logo: "sandbox-crm.svg",
    docs: `${publicUrl}/sandbox`,
    sources: [`${publicUrl}/sandbox`],
    aliases: [],
    auth: {
      scheme: "oauth2",
      fields: [],
      oauth2: {
        grant: "authorization_code",
        authorize_url: `${publicUrl}/sandbox/oauth/authorize`,
        token_url: `https://${SANDBOX_HOST}/oauth/token`,
        scopes: ["contacts.read"],
        scope_separator: " ",
        authorize_params: {},
        token_params: {},
        token_auth: "client_secret_basic",
        pkce: true,
      },
    },
    api: {
      base_url: `https://${SANDBOX_HOST}/crm`,
      headers: { accept: "application/json" },
      inject: { bearer: "{{access_token}}" },
    },
  },
];
