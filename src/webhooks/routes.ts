import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { apiKeyActor } from "../history/actor.js";
import { ErrorResponse } from "../http/openapi.js";
import type { RateLimiter } from "../http/rate-limit.js";
import { enforce } from "../http/rate-limit-hooks.js";
import {
  CreateEndpoint,
  DeliveriesQuery,
  DeliverySchema,
  EndpointParams,
  EndpointSchema,
  EndpointWithSecret,
  ReplayBody,
} from "./schemas.js";
import { REPLAY_LIMITS, type WebhooksService } from "./service.js";

const errors = { 400: ErrorResponse, 401: ErrorResponse, 404: ErrorResponse };
const tags = ["Webhooks (Portico)"];

/** Portico's own namespace: webhook endpoints of the caller's project (Basic auth, project key). */
export const webhookRoutes: FastifyPluginAsyncZod<{
  webhooks: WebhooksService;
  limiter: RateLimiter;
}> = async (app, { webhooks, limiter }) => {
  app.get("/webhooks", {
    config: { scopes: ["read"] },
    schema: {
      operationId: "portico_list_webhooks",
      tags,
      summary: "List webhook endpoints",
      response: { 200: z.array(EndpointSchema), ...errors },
    },
    handler: (request) => webhooks.list(request.principal.projectId),
  });
  app.post("/webhooks", {
    config: { scopes: [] },
    schema: {
      operationId: "portico_create_webhook",
      tags,
      summary: "Add a webhook endpoint; the signing secret is in this response only",
      body: CreateEndpoint,
      response: { 201: EndpointWithSecret, ...errors },
    },
    handler: async (request, reply) =>
      reply
        .status(201)
        .send(await webhooks.add(request.principal.projectId, request.body, apiKeyActor(request.principal))),
  });
  app.get("/webhooks/:id", {
    config: { scopes: ["read"] },
    schema: {
      operationId: "portico_get_webhook",
      tags,
      summary: "Get a webhook endpoint",
      params: EndpointParams,
      response: { 200: EndpointSchema, ...errors },
    },
    handler: (request) => webhooks.get(request.principal.projectId, request.params.id),
  });
  app.delete("/webhooks/:id", {
    config: { scopes: [] },
    schema: {
      operationId: "portico_delete_webhook",
      tags,
      summary: "Remove a webhook endpoint and its pending deliveries",
      params: EndpointParams,
      response: { 200: EndpointSchema, ...errors },
    },
    handler: (request) =>
      webhooks.remove(request.principal.projectId, request.params.id, apiKeyActor(request.principal)),
  });
  app.post("/webhooks/:id/rotate-secret", {
    config: { scopes: [] },
    schema: {
      operationId: "portico_rotate_webhook_secret",
      tags,
      summary: "New signing secret; the old one keeps signing during the configured overlap",
      params: EndpointParams,
      response: {
        200: EndpointWithSecret.extend({ previous_secret_valid_until: z.iso.datetime().nullable() }),
        ...errors,
      },
    },
    handler: (request) =>
      webhooks.rotateSecret(request.principal.projectId, request.params.id, apiKeyActor(request.principal)),
  });
  app.post("/webhooks/:id/enable", {
    config: { scopes: [] },
    schema: {
      operationId: "portico_enable_webhook",
      tags,
      summary: "Re-enable a disabled endpoint",
      params: EndpointParams,
      response: { 200: EndpointSchema, ...errors },
    },
    handler: (request) =>
      webhooks.enable(request.principal.projectId, request.params.id, apiKeyActor(request.principal)),
  });
  app.get("/webhooks/:id/deliveries", {
    config: { scopes: ["read"] },
    schema: {
      operationId: "portico_list_webhook_deliveries",
      tags,
      summary: "Deliveries to an endpoint, newest first, with every attempt",
      params: EndpointParams,
      querystring: DeliveriesQuery,
      response: { 200: z.array(DeliverySchema), ...errors },
    },
    handler: async (request) => {
      await webhooks.get(request.principal.projectId, request.params.id);
      return webhooks.deliveries(request.principal.projectId, {
        endpointId: request.params.id,
        eventId: request.query.event_id,
        limit: request.query.limit,
      });
    },
  });
  app.post("/webhooks/replay", {
    config: { scopes: [] },
    schema: {
      operationId: "portico_replay_webhooks",
      tags,
      summary: `Send events again, by id or time range, to every subscribed endpoint or one (at most ${REPLAY_LIMITS.perCall} events a call, ${REPLAY_LIMITS.perMinute} a minute)`,
      body: ReplayBody,
      response: {
        202: z.object({
          events: z.number(),
          deliveries: z.number(),
          next_since: z.string().nullable().describe("Where the next call starts when the range held more"),
        }),
        ...errors,
        429: ErrorResponse,
      },
    },
    handler: async (request, reply) => {
      const projectId = request.principal.projectId;
      // Replays of one project share a per-minute budget of events on every node.
      const bucket = `replay:${projectId}`;
      const quota = limiter.peek(bucket, REPLAY_LIMITS.perMinute);
      enforce(reply, quota, "replay-events", "of replayed events for this project");
      const result = await webhooks.replay(
        projectId,
        {
          eventId: request.body.event_id,
          from: request.body.since ? Date.parse(request.body.since) : undefined,
          to: request.body.until ? Date.parse(request.body.until) : undefined,
          endpointId: request.body.endpoint_id,
          maxEvents: quota.remaining + 1,
        },
        apiKeyActor(request.principal),
      );
      limiter.add(bucket, Math.max(1, result.events), REPLAY_LIMITS.perMinute);
      return reply.status(202).send(result);
    },
  });
};
