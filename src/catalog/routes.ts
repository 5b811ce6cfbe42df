import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PorticoError } from "../errors.js";
import { type ClientContract, metaCategory } from "../http/client-contracts.js";
import { ErrorResponse } from "../http/openapi.js";
import { wireProfileOf } from "../http/wire-profile.js";
import type { Catalog } from "./catalog.js";
import type { CatalogEntry } from "./schema.js";
import { ConnectorsMeta, ConnectorsMetaQuery, ProviderParams } from "./schemas.js";

/** Written as JSON text (serialized once, see below): the response schemas feed OpenAPI only. */
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Which providers a project has turned on: the integrations slice answers it. A shape of its own
 * here, so the catalog does not import the slices that stand on it.
 */
export type ActiveProviders = {
  activeProviders(projectId: string): Promise<ReadonlySet<string>>;
  isActive(projectId: string, provider: string): Promise<boolean>;
};

export type CatalogRoutesOptions = {
  catalog: Catalog;
  integrations: ActiveProviders;
  logoUrl: (entry: CatalogEntry) => string;
};

/** One client contract's meta of every provider it can parse, as JSON text, and its lists. */
type Shaped = {
  wire: Map<string, { on: string; off: string }>;
  lists: WeakMap<ReadonlySet<string>, string>;
};

export const catalogRoutes: FastifyPluginAsyncZod<CatalogRoutesOptions> = async (
  app,
  { catalog, integrations, logoUrl },
) => {
  const toMeta = (entry: CatalogEntry, active: boolean, category: string): ConnectorsMeta => ({
    provider: entry.key,
    provider_name: entry.name,
    category,
    categories: entry.categories,
    active,
    models: {},
    resources: { images: { logo_url: logoUrl(entry), original_logo_horizontal_url: null } },
    auth_scheme: entry.auth.scheme,
    docs_url: entry.docs,
  });

  // A provider's meta is fixed by the catalog and the caller's client contract (its `category`);
  // only `active` depends on the project. Both forms are serialized once per contract, and a
  // project's whole list once per set of active providers (the integrations cache hands out one
  // Set per project until it refreshes), so a request neither builds nor stringifies an object per
  // provider. A provider none of whose categories a closed-enum client knows is left out for it.
  const shapes = new WeakMap<ClientContract, Shaped>();
  const shapedFor = (contract: ClientContract): Shaped => {
    let shaped = shapes.get(contract);
    if (!shaped) {
      const wire = new Map<string, { on: string; off: string }>();
      for (const e of catalog.list()) {
        const category = metaCategory(e.categories, contract);
        if (category !== null)
          wire.set(e.key, {
            on: JSON.stringify(toMeta(e, true, category)),
            off: JSON.stringify(toMeta(e, false, category)),
          });
      }
      shaped = { wire, lists: new WeakMap() };
      shapes.set(contract, shaped);
    }
    return shaped;
  };
  const listFor = (contract: ClientContract, active: ReadonlySet<string>) => {
    const { wire, lists } = shapedFor(contract);
    let json = lists.get(active);
    if (json === undefined) {
      const items: string[] = [];
      for (const e of catalog.list()) {
        const meta = wire.get(e.key);
        if (meta) items.push(active.has(e.key) ? meta.on : meta.off);
      }
      json = `[${items.join(",")}]`;
      lists.set(active, json);
    }
    return json;
  };

  app.get("/connectors/meta", {
    config: { scopes: ["read", "connect"] },
    schema: {
      operationId: "stackone_list_connectors_meta",
      tags: ["Connectors"],
      summary: "Every provider in the catalog, with `active` for this project",
      querystring: ConnectorsMetaQuery,
      response: { 200: z.array(ConnectorsMeta), 401: ErrorResponse },
    },
    handler: async (request, reply) => {
      const active = await integrations.activeProviders(request.principal.projectId);
      return reply.type(JSON_TYPE).send(listFor(wireProfileOf(request).contract, active) as never);
    },
  });

  app.get("/connectors/meta/:provider", {
    config: { scopes: ["read", "connect"] },
    schema: {
      operationId: "stackone_get_connector_meta",
      tags: ["Connectors"],
      summary: "One provider's meta information",
      params: ProviderParams,
      querystring: ConnectorsMetaQuery,
      response: { 200: ConnectorsMeta, 401: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse },
    },
    handler: async (request, reply) => {
      const entry = catalog.get(request.params.provider);
      if (!entry)
        throw new PorticoError("NOT_FOUND", `provider: "${request.params.provider}" is not in the catalog`);
      const json = shapedFor(wireProfileOf(request).contract).wire.get(entry.key);
      if (!json) throw unknownToClient(entry.key, entry.categories);
      const active = await integrations.isActive(request.principal.projectId, entry.key);
      return reply.type(JSON_TYPE).send((active ? json.on : json.off) as never);
    },
  });
};

/** A provider whose every category is newer than the caller's client version (its enum is closed). */
export function unknownToClient(provider: string, categories: readonly string[]): PorticoError {
  return new PorticoError(
    "CONFLICT",
    `category: ${provider} is in ${categories.join(", ")}, which this client version does not know; upgrade it or pin a wire profile`,
  );
}
