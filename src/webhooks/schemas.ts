import { z } from "zod";
import { EVENT_TYPES } from "./service.js";

export const EndpointSchema = z
  .object({
    id: z.string(),
    project_id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()).nullable().describe("Event types delivered; null for all"),
    status: z.string().describe("active or disabled"),
    disabled_reason: z.string().nullable(),
    failing_since: z.iso.datetime().nullable(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: "WebhookEndpoint" });

export const EndpointWithSecret = EndpointSchema.extend({
  secret: z.string().describe("whsec_...: shown once. Verify Standard Webhooks signatures with it"),
}).meta({ id: "WebhookEndpointWithSecret" });

export const CreateEndpoint = z
  .object({
    url: z.string().min(1).max(2048),
    description: z.string().max(500).nullish(),
    events: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).nullish(),
  })
  .meta({ id: "CreateWebhookEndpoint" });

export const EndpointParams = z.object({ id: z.string().min(1).max(100) });

export const ReplayBody = z
  .object({
    event_id: z.string().max(100).optional(),
    since: z.iso.datetime({ offset: true }).optional(),
    until: z.iso.datetime({ offset: true }).optional(),
    endpoint_id: z.string().max(100).optional(),
  })
  .refine((b) => b.event_id || b.since, { message: "give event_id, or since (and optionally until)" })
  .meta({ id: "ReplayWebhooks" });

export const DeliveriesQuery = z.object({
  event_id: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    endpoint_id: z.string(),
    type: z.string(),
    status: z.string().describe("pending, delivered or failed (given up)"),
    attempts: z.array(
      z.object({
        attempt: z.number(),
        at: z.iso.datetime().nullable(),
        duration_ms: z.number(),
        status_code: z.number().nullable(),
        error: z.string().nullable(),
      }),
    ),
    next_attempt_at: z.iso.datetime().nullable(),
    delivered_at: z.iso.datetime().nullable(),
    created_at: z.iso.datetime().nullable(),
  })
  .meta({ id: "WebhookDelivery" });
