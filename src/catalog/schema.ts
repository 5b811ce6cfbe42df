import { z } from "zod";
import { CATEGORIES, withImplied } from "./categories.js";
import { linearPatternProblem } from "./linear-pattern.js";
import { hostPart, staticHostSuffix } from "./template.js";

/**
 * The shape of one provider entry (`catalog/<key>.yaml`). Everything the hub form, verification,
 * OAuth and the proxy need about a provider is data here, so adding a provider is adding a file.
 * @see ../../../shared/design/catalog.md
 */

const TEMPLATE = /\{\{\s*([a-z0-9_]+)\s*\}\}/gi;

/** Names a template references: `{{subdomain}}` -> subdomain. */
export function templateNames(template: string): string[] {
  return [...template.matchAll(TEMPLATE)].map((m) => m[1]!);
}

const KEY = /^[a-z0-9][a-z0-9-]*$/;

export const FieldSchema = z
  .object({
    key: z.string().regex(/^[a-z0-9_]+$/, "lower-case letters, digits and underscores"),
    label: z.string().min(1),
    type: z.enum(["text", "password", "select", "number", "text_area"]),
    required: z.boolean().default(true),
    /** Defaults to secret, as the hub does; `secret: false` lands in setup_information in clear. */
    secret: z.boolean().optional(),
    placeholder: z.string().optional(),
    description: z.string().optional(),
    validation: z
      .object({
        pattern: z.string().superRefine((p, ctx) => {
          try {
            new RegExp(p);
          } catch {
            ctx.addIssue({ code: "custom", message: "must be a valid regular expression" });
            return;
          }
          // It runs on what end users type: it must scan in linear time (linear-pattern.ts).
          const problem = linearPatternProblem(p);
          if (problem)
            ctx.addIssue({
              code: "custom",
              message: `${problem}; validation patterns run on end users' input and must scan in linear time`,
            });
        }),
        error: z.string().optional(),
      })
      .strict()
      .optional(),
    options: z
      .array(z.object({ label: z.string(), value: z.string() }).strict())
      .min(1)
      .optional(),
    /** Pre-filled value (for example a default region). */
    value: z.string().optional(),
  })
  .strict()
  .refine((f) => f.type !== "select" || f.options, {
    message: "select fields need options",
    path: ["options"],
  });

export type CatalogField = z.infer<typeof FieldSchema>;

/** Secret unless `secret: false`, as the hub decides; a password field is always secret. */
export const isSecretField = (f: CatalogField): boolean => f.secret !== false || f.type === "password";

/** How credentials reach the provider on every request (verification and proxy). */
export const InjectSchema = z
  .object({
    headers: z.record(z.string(), z.string()).optional(),
    basic: z.object({ username: z.string(), password: z.string() }).strict().optional(),
    bearer: z.string().optional(),
    query: z.record(z.string(), z.string()).optional(),
  })
  .strict()
  .refine((i) => i.headers || i.basic || i.bearer || i.query, {
    message: "say how credentials are injected",
  });

export type Inject = z.infer<typeof InjectSchema>;

export const OAuth2Schema = z
  .object({
    grant: z.enum(["authorization_code", "client_credentials"]).default("authorization_code"),
    authorize_url: z.string().optional(),
    token_url: z.string(),
    /** Where refresh requests go when the provider uses another endpoint than for the exchange. */
    refresh_url: z.string().optional(),
    scopes: z.array(z.string()).default([]),
    scope_separator: z.string().default(" "),
    authorize_params: z.record(z.string(), z.string()).default({}),
    token_params: z.record(z.string(), z.string()).default({}),
    token_auth: z.enum(["client_secret_basic", "client_secret_post", "none"]).default("client_secret_basic"),
    /** PKCE S256 is on unless the provider is known to reject it. */
    pkce: z.boolean().default(true),
  })
  .strict()
  .refine((o) => o.grant !== "authorization_code" || o.authorize_url, {
    message: "authorization_code needs authorize_url",
    path: ["authorize_url"],
  });

export type OAuth2Config = z.infer<typeof OAuth2Schema>;

const STATUS = z.number().int().min(100).max(599);
const STATUSES = z.union([STATUS, z.array(STATUS).min(1)]);

/** `expect_status` and `reject_status` as lists (each may be one status or several). */
export const statusList = (s: number | number[] | undefined): number[] =>
  s === undefined ? [] : Array.isArray(s) ? s : [s];

/**
 * Where the logo comes from: `portico catalog logos` draws `catalog/logos/<key>.svg` from the
 * simple-icons slug; where simple-icons lacks the brand, from the icon `logos` names in SVG Logos
 * (`@iconify-json/logos`, CC0); else a monogram on `color`. Both sets are CC0-1.0.
 */
export const BrandSchema = z
  .object({
    simple_icons: z
      .string()
      .regex(/^[a-z0-9_]+$/, "a simple-icons slug")
      .nullable(),
    /** An icon of SVG Logos (iconify's `logos` set), used where `simple_icons` is null. */
    logos: z
      .string()
      .regex(/^[a-z0-9-]+$/, "an icon name of the SVG Logos set")
      .optional(),
    color: z.string().regex(/^#[0-9A-Fa-f]{6}$/, "a #RRGGBB colour"),
  })
  .strict()
  .refine((b) => !(b.simple_icons && b.logos), {
    message: "name one source: simple_icons, or logos where simple-icons lacks the brand",
    path: ["logos"],
  });

export type Brand = z.infer<typeof BrandSchema>;

/** A claim the provider's documentation does not settle: "auth.oauth2.pkce: why". */
export const UNVERIFIED = /^([a-z0-9_]+(\.[a-z0-9_]+)*): \S.*$/;

/**
 * `allowLoopbackHttp` (PORTICO_ALLOW_PRIVATE_NETWORKS) lets extra catalog directories point at
 * providers on http://127.0.0.1 or localhost: local mocks in development and tests. Shipped entries
 * are always https.
 */
export const entrySchema = (opts: { allowLoopbackHttp: boolean }) =>
  z
    .object({
      key: z.string().regex(KEY, "lower-case letters, digits and dashes"),
      name: z.string().min(1),
      categories: z.array(z.enum(CATEGORIES)).min(1).transform(withImplied),
      logo: z.string().regex(/^[a-z0-9-]+\.(svg|png)$/, "a file name in catalog/logos"),
      /** Optional here so private catalogs keep loading; `portico catalog lint` requires it. */
      brand: BrandSchema.optional(),
      docs: z.url(),
      sources: z.array(z.url()).min(1),
      /** Old keys this provider answered to, so a rename never breaks stored accounts. */
      aliases: z.array(z.string().regex(KEY)).default([]),
      auth: z
        .object({
          scheme: z.enum(["api_key", "basic", "oauth2"]),
          fields: z.array(FieldSchema).default([]),
          oauth2: OAuth2Schema.optional(),
          /** Shown above the form (hub notice). */
          notice: z.string().optional(),
        })
        .strict(),
      api: z
        .object({
          base_url: z.string(),
          inject: InjectSchema,
          /** Headers every request carries (e.g. an API version pin). */
          headers: z.record(z.string(), z.string()).default({}),
        })
        .strict(),
      verify: z
        .object({
          method: z.enum(["GET", "POST", "HEAD"]).default("GET"),
          path: z.string().startsWith("/"),
          expect_status: STATUSES.default(200),
          /**
           * What a deliberately wrong credential gets: `portico catalog verify` checks the provider
           * still refuses this way (not a 404, not a login page). Required by the lint.
           */
          reject_status: STATUSES.optional(),
          body: z.unknown().optional(),
        })
        .strict()
        .optional(),
      /** Claims the documentation does not settle; omitted when there are none. */
      unverified: z
        .array(z.string().regex(UNVERIFIED, 'a "path: why" line, e.g. "auth.oauth2.pkce: ..."'))
        .optional(),
    })
    .strict()
    .superRefine((e, ctx) => {
      const fieldKeys = new Set(e.auth.fields.map((f) => f.key));
      if (fieldKeys.size !== e.auth.fields.length)
        ctx.addIssue({ code: "custom", path: ["auth", "fields"], message: "duplicate field key" });
      if (e.auth.scheme === "oauth2" && !e.auth.oauth2) {
        ctx.addIssue({
          code: "custom",
          path: ["auth", "oauth2"],
          message: "oauth2 scheme needs an oauth2 block",
        });
      }
      if (e.auth.scheme !== "oauth2" && e.auth.oauth2) {
        ctx.addIssue({
          code: "custom",
          path: ["auth", "oauth2"],
          message: "only the oauth2 scheme takes an oauth2 block",
        });
      }
      if (e.auth.scheme !== "oauth2" && !e.verify) {
        ctx.addIssue({
          code: "custom",
          path: ["verify"],
          message: "credential schemes need a verification request",
        });
      }
      // Templates may name only the entry's own fields, and token values for OAuth.
      const allowed = new Set([...fieldKeys, ...(e.auth.scheme === "oauth2" ? ["access_token"] : [])]);
      const check = (where: (string | number)[], template: string) => {
        for (const name of templateNames(template)) {
          if (!allowed.has(name))
            ctx.addIssue({
              code: "custom",
              path: where,
              message: `{{${name}}} is not a field of this entry`,
            });
        }
      };
      check(["api", "base_url"], e.api.base_url);
      const inj = e.api.inject;
      for (const [k, v] of Object.entries(inj.headers ?? {})) check(["api", "inject", "headers", k], v);
      for (const [k, v] of Object.entries(inj.query ?? {})) check(["api", "inject", "query", k], v);
      if (inj.basic) {
        check(["api", "inject", "basic", "username"], inj.basic.username);
        check(["api", "inject", "basic", "password"], inj.basic.password);
      }
      if (inj.bearer) check(["api", "inject", "bearer"], inj.bearer);
      if (e.auth.oauth2) {
        for (const k of ["authorize_url", "token_url", "refresh_url"] as const) {
          const v = e.auth.oauth2[k];
          if (v) check(["auth", "oauth2", k], v);
        }
        for (const [where, template] of oauthParams(e.auth.oauth2)) checkParam(ctx, e, where, template);
      }
      for (const [where, url] of [
        [["api", "base_url"], e.api.base_url],
        [["auth", "oauth2", "authorize_url"], e.auth.oauth2?.authorize_url],
        [["auth", "oauth2", "token_url"], e.auth.oauth2?.token_url],
        [["auth", "oauth2", "refresh_url"], e.auth.oauth2?.refresh_url],
      ] as const) {
        const loopback =
          opts.allowLoopbackHttp && /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(url ?? "");
        if (url !== undefined && ((!url.startsWith("https://") && !loopback) || !staticHostSuffix(url))) {
          ctx.addIssue({
            code: "custom",
            path: [...where],
            message: "must be an https URL on the provider's own domain",
          });
        }
      }
    });

/** The scopes and extra parameters of an OAuth2 block, each with its path in the entry. */
export function oauthParams(o: OAuth2Config): [(string | number)[], string][] {
  return [
    ...o.scopes.map((v, i): [(string | number)[], string] => [["auth", "oauth2", "scopes", i], v]),
    ...(["authorize_params", "token_params"] as const).flatMap((k) =>
      Object.entries(o[k]).map(([name, v]): [(string | number)[], string] => [
        ["auth", "oauth2", k, name],
        v,
      ]),
    ),
  ];
}

/**
 * Scopes and OAuth parameters may name the entry's setup fields only: they travel in the
 * authorize URL, through the end user's browser, so a secret there would leak. One shaped like a
 * URL with a templated host must keep the provider's domain, as a base URL must.
 */
function checkParam(
  ctx: z.RefinementCtx,
  e: { auth: { fields: CatalogField[] } },
  where: (string | number)[],
  template: string,
) {
  for (const name of templateNames(template)) {
    const field = e.auth.fields.find((f) => f.key === name);
    if (!field)
      ctx.addIssue({ code: "custom", path: where, message: `{{${name}}} is not a field of this entry` });
    else if (isSecretField(field))
      ctx.addIssue({
        code: "custom",
        path: where,
        message: `{{${name}}} is a secret field; only setup fields (secret: false) may go to the authorization server`,
      });
  }
  if (templateNames(hostPart(template)).length && !staticHostSuffix(template))
    ctx.addIssue({
      code: "custom",
      path: where,
      message: "a templated host must stay on the provider's domain",
    });
}

export const EntrySchema = entrySchema({ allowLoopbackHttp: false });

export type CatalogEntry = z.infer<typeof EntrySchema>;
