import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { PorticoError } from "../errors.js";
import { ErrorResponse } from "../http/openapi.js";
import type { IntegrationsService } from "../integrations/service.js";
import type { Catalog } from "./catalog.js";
import type { CatalogEntry } from "./schema.js";
import { ConnectorsMeta, ConnectorsMetaQuery, ProviderParams } from "./schemas.js";

/** Written as JSON text (serialized once, see below): the response schemas feed OpenAPI only. */
const JSON_TYPE = "application/json; charset=utf-8";

export type CatalogRoutesOptions = {
  catalog: Catalog;
  integrations: IntegrationsService;
  logoUrl: (entry: CatalogEntry) => string;
};

export const catalogRoutes: FastifyPluginAsyncZod<CatalogRoutesOptions> = async (
  app,
  { catalog, integrations, logoUrl },
) => {
  const toMeta = (entry: CatalogEntry, active: boolean): ConnectorsMeta => ({
    provider: entry.key,
    provider_name: entry.name,
    category: entry.categories[0]!,
    categories: entry.categories,
    active,
    models: {},
    resources: { images: { logo_url: logoUrl(entry), original_logo_horizontal_url: null } },
    auth_scheme: entry.auth.scheme,
    docs_url: entry.docs,
  });

  // A provider's meta is fixed by the catalog; only `active` depends on the project. Both forms are
  // serialized once here, and a project's whole list once per set of active providers (the
  // integrations cache hands out one Set per project until it refreshes), so a request neither
  // builds nor stringifies an object per provider.
  const wire = new Map(
    catalog
      .list()
      .map((e) => [e.key, { on: JSON.stringify(toMeta(e, true)), off: JSON.stringify(toMeta(e, false)) }]),
  );
  const lists = new WeakMap<ReadonlySet<string>, string>();
  const listFor = (active: ReadonlySet<string>) => {
    let json = lists.get(active);
    if (json === undefined) {
      json = `[${catalog
        .list()
        .map((e) => (active.has(e.key) ? wire.get(e.key)!.on : wire.get(e.key)!.off))
        .join(",")}]`;
      lists.set(active, json);
    }
    return json;
  };

  app.get("/connectors/meta", {
    schema: {
      operationId: "stackone_list_connectors_meta",
      tags: ["Connectors"],
      summary: "Every provider in the catalog, with `active` for this project",
      querystring: ConnectorsMetaQuery,
      response: { 200: z.array(ConnectorsMeta), 401: ErrorResponse },
    },
    handler: async (request, reply) => {
      const active = await integrations.activeProviders(request.principal.projectId);
      return reply.type(JSON_TYPE).send(listFor(active) as never);
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
    handler: async (request, reply) => {
      const entry = catalog.get(request.params.provider);
      if (!entry)
        throw new PorticoError("NOT_FOUND", `provider: "${request.params.provider}" is not in the catalog`);
      const active = await integrations.isActive(request.principal.projectId, entry.key);
      const json = wire.get(entry.key)!;
      return reply.type(JSON_TYPE).send((active ? json.on : json.off) as never);
    },
  });
};
