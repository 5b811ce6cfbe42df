import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { unknownToClient } from "../catalog/routes.js";
import { apiKeyActor } from "../history/actor.js";
import { metaCategory } from "../http/client-contracts.js";
import { ErrorResponse } from "../http/openapi.js";
import { wireProfileOf } from "../http/wire-profile.js";
import {
  AccountIdParams,
  LinkedAccount,
  LinkedAccountMeta,
  ListAccountsQuery,
  PatchAccount,
} from "./schemas.js";
import type { AccountsService } from "./service.js";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse };
const JSON_TYPE = "application/json; charset=utf-8";

export const accountsRoutes: FastifyPluginAsyncZod<{ accounts: AccountsService }> = async (
  app,
  { accounts },
) => {
  app.get("/accounts", {
    config: { scopes: ["read", "proxy"] },
    schema: {
      operationId: "stackone_list_linked_accounts",
      tags: ["Accounts"],
      summary: "List linked accounts (a bare array, 1-based pages, stable order)",
      querystring: ListAccountsQuery,
      response: { 200: z.array(LinkedAccount), ...errors },
    },
    // Written as JSON text from the rows (wire-json.ts): the response schemas feed OpenAPI only.
    handler: async (request, reply) =>
      reply
        .type(JSON_TYPE)
        .send((await accounts.listJson(request.principal.projectId, request.query)) as never),
  });

  app.get("/accounts/:id", {
    config: { scopes: ["read", "proxy"] },
    schema: {
      operationId: "stackone_get_account",
      tags: ["Accounts"],
      summary: "Get an account",
      params: AccountIdParams,
      response: { 200: LinkedAccount, ...errors },
    },
    // Not async: on SQLite the row is read at once and the answer sent without a promise (the
    // most frequent read of a backend that checks its customers' connections); a thrown 404 goes
    // to the error handler either way.
    handler: (request, reply) => {
      const { projectId } = request.principal;
      const now = accounts.getJsonNow(projectId, request.params.id);
      if (now !== null) {
        reply.type(JSON_TYPE).send(now as never);
        return;
      }
      return accounts
        .getJson(projectId, request.params.id)
        .then((json) => reply.type(JSON_TYPE).send(json as never)) as never;
    },
  });

  app.patch("/accounts/:id", {
    config: { scopes: [] },
    schema: {
      operationId: "stackone_update_account",
      tags: ["Accounts"],
      summary: "Update an account (new credentials are verified with the provider first)",
      params: AccountIdParams,
      body: PatchAccount,
      response: { 200: LinkedAccount, ...errors, 502: ErrorResponse },
    },
    handler: (request) =>
      accounts.update(
        request.principal.projectId,
        request.params.id,
        request.body,
        apiKeyActor(request.principal),
      ),
  });

  app.delete("/accounts/:id", {
    config: { scopes: [] },
    schema: {
      operationId: "stackone_delete_account",
      tags: ["Accounts"],
      summary: "Delete an account and destroy its credentials; returns the deleted account",
      params: AccountIdParams,
      response: { 200: LinkedAccount, ...errors },
    },
    handler: (request) =>
      accounts.delete(request.principal.projectId, request.params.id, apiKeyActor(request.principal)),
  });

  app.get("/accounts/:id/meta", {
    config: { scopes: ["read", "proxy"] },
    schema: {
      operationId: "stackone_get_account_meta_info",
      tags: ["Accounts"],
      summary: "Get an account's meta information",
      params: AccountIdParams,
      response: { 200: LinkedAccountMeta, ...errors, 409: ErrorResponse },
    },
    handler: async (request) => {
      const { provider, categories } = await accounts.meta(request.principal.projectId, request.params.id);
      const { contract } = wireProfileOf(request);
      const category = metaCategory(categories, contract);
      if (category === null && contract.metaCategoryClosed) throw unknownToClient(provider, categories);
      return { provider, category: category ?? "unknown", models: {} };
    },
  });
};
