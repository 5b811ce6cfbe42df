import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PorticoError } from "../errors.js";
import { type ClientContract, metaCategory } from "../http/client-contracts.js";
import { ErrorResponse } from "../http/openapi.js";
import { wireProfileOf } from "../http/wire-profile.js";
import type { IntegrationsService } from "../integrations/service.js";
import type { Catalog } from "./catalog.js";
import type { CatalogEntry } from "./schema.js";
import { ConnectorsMeta, ConnectorsMetaQuery, ProviderParams } from "./schemas.js";

export type CatalogRoutesOptions = {
  catalog: Catalog;
  integrations: IntegrationsService;
  logoUrl: (entry: CatalogEntry) => string;
};

export const catalogRoutes: FastifyPluginAsyncZod<CatalogRoutesOptions> = async (
  app,
  { catalog, integrations, logoUrl },
) => {
  /** Null for a client that could not parse this provider's category (an older PHP SDK). */
  const toMeta = (entry: CatalogEntry, active: boolean, contract: ClientContract): ConnectorsMeta | null => {
    const category = metaCategory(entry.categories, contract);
    return category === null ? null : meta(entry, active, category);
  };
  const meta = (entry: CatalogEntry, active: boolean, category: string): ConnectorsMeta => ({
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

  app.get("/connectors/meta", {
    schema: {
      operationId: "stackone_list_connectors_meta",
      tags: ["Connectors"],
      summary: "Every provider in the catalog, with `active` for this project",
      querystring: ConnectorsMetaQuery,
      response: { 200: z.array(ConnectorsMeta), 401: ErrorResponse },
    },
    handler: async (request) => {
      const active = await integrations.activeProviders(request.principal.projectId);
      const { contract } = wireProfileOf(request);
      return catalog.list().flatMap((e) => toMeta(e, active.has(e.key), contract) ?? []);
    },
  });

  app.get("/connectors/meta/:provider", {
    schema: {
      operationId: "stackone_get_connector_meta",
      tags: ["Connectors"],
      summary: "One provider's meta information",
      params: ProviderParams,
      querystring: ConnectorsMetaQuery,
      response: { 200: ConnectorsMeta, 401: ErrorResponse, 404: ErrorResponse },
    },
    handler: async (request) => {
      const entry = catalog.get(request.params.provider);
      if (!entry)
        throw new PorticoError("NOT_FOUND", `provider: "${request.params.provider}" is not in the catalog`);
      const found = toMeta(
        entry,
        await integrations.isActive(request.principal.projectId, entry.key),
        wireProfileOf(request).contract,
      );
      if (!found) throw unknownToClient(entry.key, entry.categories);
      return found;
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
