import { CATEGORIES, CATEGORY_ALIASES, type Category } from "../catalog/categories.js";

/**
 * What one StackOne client version's generated schema accepts, where versions differ. Everything
 * else (open enums, extra fields, error bodies) is the same for every client and is not here.
 * @see ../../../shared/spec/stackone-api.md section 8
 */
export type ClientContract = {
  /** `organization_id` of ConnectSession answers: a number until TS SDK 4.33.x, a string since 4.34.0. */
  organizationId: "number" | "string";
  /**
   * The closed category enum of session answers: each category Portico knows, mapped to the wire
   * value this client knows it by. A category missing here is one the client would reject.
   */
  categories: ReadonlyMap<Category, string>;
  /**
   * False for the PHP SDK: it cannot read a non-empty `categories` in a session answer at all (its
   * union handler turns `array<ConnectSessionCategories>|null` into `array<enum>` and fails on the
   * class `\enum`, 0.28.4 `Utils/UnionHandler.php`), so its session answers leave them out.
   */
  sessionCategories: boolean;
  /** PHP's meta `category` is a closed enum too (TypeScript's is open): it takes only `categories`. */
  metaCategoryClosed: boolean;
  /** The statuses the client's proxyRequest takes as success; another 2xx fails it. */
  proxyStatuses: ReadonlySet<number>;
};

export type ClientFamily = "typescript" | "php" | "java";

type Step = {
  since: string;
  add?: string[];
  remove?: string[];
  organizationId?: ClientContract["organizationId"];
  proxyStatuses?: number[];
};

/**
 * Where each client's schema changed, read from the generated sources of every release
 * (`src/sdk/models/shared/connectsession.ts`, `src/funcs/proxyProxyRequest.ts` in
 * StackOneHQ/stackone-client-typescript; `src/Models/Components/*Categories.php`, `src/Proxy.php`
 * in StackOneHQ/stackone-client-php; `models/components/ConnectSession*.java`, `Proxy.java` in
 * StackOneHQ/stackone-client-java). Releases before a family's first step behave as its first.
 */
const STEPS: Record<ClientFamily, Step[]> = {
  typescript: [
    {
      since: "0.0.0",
      add: ["ats", "hris", "hris-legacy", "crm", "iam", "marketing", "stackone"],
      organizationId: "number",
      // proxyRequest appeared in 4.15.2 and took only 200 until 4.24.2.
      proxyStatuses: [200],
    },
    { since: "4.8.3", add: ["lms"] },
    { since: "4.17.0", add: ["file-storage"] },
    { since: "4.17.3", remove: ["file-storage"], add: ["documents"] },
    { since: "4.19.2", add: ["ticketing", "screening"] },
    { since: "4.19.8", add: ["messaging"] },
    { since: "4.21.2", add: ["accounting"] },
    { since: "4.24.2", proxyStatuses: [200, 201, 202, 204] },
    { since: "4.32.2", add: ["scheduling"] },
    // 4.33.2 took a number or a string; 4.34.0 takes only a string.
    { since: "4.34.0", organizationId: "string" },
  ],
  php: [
    {
      since: "0.0.0",
      add: ["ats", "hris", "hris-legacy", "crm", "iam", "marketing", "lms", "stackone"],
      // PHP declares a float and casts a numeric string, so the newest contract's string works.
      organizationId: "string",
      proxyStatuses: [200],
    },
    { since: "0.22.1", add: ["file-storage"] },
    { since: "0.23.0", remove: ["file-storage"], add: ["documents"] },
    { since: "0.25.0", add: ["ticketing", "screening"] },
    { since: "0.25.1", add: ["messaging", "accounting"] },
    { since: "0.26.0", proxyStatuses: [200, 201, 202, 204] },
    { since: "0.28.3", add: ["scheduling"] },
  ],
  java: [
    {
      since: "0.0.0",
      add: [
        ...["ats", "hris", "hris-legacy", "crm", "iam", "marketing", "lms", "stackone"],
        ...["documents", "ticketing", "screening"],
      ],
      // A double until 0.19.0 (Jackson casts a numeric string), a string only since 0.19.2.
      organizationId: "string",
      proxyStatuses: [200],
    },
    { since: "0.5.0", add: ["messaging"] },
    { since: "0.7.0", add: ["accounting"] },
    { since: "0.9.2", proxyStatuses: [200, 201, 202, 204] },
    { since: "0.18.0", add: ["scheduling"] },
  ],
};

export type Version = readonly [number, number, number];

/** `4.28.0` -> [4, 28, 0]; `4.28` means 4.28.0. Undefined when it is not a version. */
export function parseVersion(text: string): Version | undefined {
  const m = /^(\d{1,4})\.(\d{1,4})(?:\.(\d{1,4}))?$/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The contract of one release of a client family, from the steps up to that version. */
export function contractOf(family: ClientFamily, version: Version): ClientContract {
  const wire = new Set<string>();
  let organizationId: ClientContract["organizationId"] = "number";
  let proxyStatuses: number[] = [];
  for (const step of STEPS[family]) {
    if (compare(parseVersion(step.since)!, version) > 0) break;
    for (const v of step.remove ?? []) wire.delete(v);
    for (const v of step.add ?? []) wire.add(v);
    organizationId = step.organizationId ?? organizationId;
    proxyStatuses = step.proxyStatuses ?? proxyStatuses;
  }
  const categories = new Map<Category, string>();
  for (const value of wire) {
    const category = CATEGORY_ALIASES[value] ?? (value as Category);
    categories.set(category, value);
  }
  return {
    organizationId,
    categories,
    sessionCategories: family !== "php",
    metaCategoryClosed: family === "php",
    proxyStatuses: new Set(proxyStatuses),
  };
}

/** The newest StackOne contract: what raw HTTP, unknown clients and current SDKs get. */
export const LATEST_CONTRACT: ClientContract = {
  organizationId: "string",
  categories: new Map(CATEGORIES.map((c) => [c, c])),
  sessionCategories: true,
  metaCategoryClosed: false,
  proxyStatuses: new Set([200, 201, 202, 204]),
};

/**
 * The single `category` of a meta answer (ConnectorsMeta, LinkedAccountMeta) for a provider of
 * these categories: its first, or for a client whose meta enum is closed, its first that client
 * knows; null when that client knows none of them.
 */
export function metaCategory(categories: readonly Category[], contract: ClientContract): string | null {
  if (!contract.metaCategoryClosed) return categories[0] ?? null;
  for (const c of categories) {
    const wire = contract.categories.get(c);
    if (wire) return wire;
  }
  return null;
}
