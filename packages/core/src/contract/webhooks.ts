import { z } from "zod";
import { messages } from "./messages";

/** The events an endpoint may subscribe to (issue 16); `webhook.test` is sent on request only. */
export const WEBHOOK_EVENTS = ["export.completed", "export.failed", "export.cancelled"] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
export const WEBHOOK_TEST_EVENT = "webhook.test";

export const WEBHOOK_SCOPES = ["own", "all"] as const;
export const WEBHOOK_DELIVERY_STATUSES = ["pending", "succeeded", "failed"] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const MAX_WEBHOOK_URL_LENGTH = 2000;
export const MAX_WEBHOOK_DESCRIPTION_LENGTH = 255;
/** Endpoints per user: each one multiplies the deliveries of every event. */
export const MAX_WEBHOOKS_PER_USER = 20;

const text = (max: number) =>
  z
    .string({ error: (iss) => (iss.input === undefined ? messages.required : messages.string) })
    .refine((v) => !v.includes("\u0000"), messages.nullCharacters)
    .max(max, messages.maxLength(max));

const events = z
  .array(z.enum(WEBHOOK_EVENTS, { error: (iss) => messages.choice(iss.input) }), {
    error: (iss) => (iss.input === undefined ? messages.required : messages.list(typeof iss.input)),
  })
  .min(1, "Choose at least one event.")
  .transform((list) => [...new Set(list)]);

/** Input of `POST /api/v1/webhooks/` and tRPC `webhooks.create`. The URL's address is checked in core. */
export const createWebhookInput = z.object({
  url: text(MAX_WEBHOOK_URL_LENGTH).min(1, "This field may not be blank."),
  events,
  description: text(MAX_WEBHOOK_DESCRIPTION_LENGTH).default(""),
  scope: z.enum(WEBHOOK_SCOPES, { error: (iss) => messages.choice(iss.input) }).default("own"),
});
export type CreateWebhookInput = z.input<typeof createWebhookInput>;

/** Input of `PATCH /api/v1/webhooks/{id}/`: any of the fields, and `is_active` (reactivating clears the flag). */
export const updateWebhookInput = z.object({
  url: createWebhookInput.shape.url.optional(),
  events: events.optional(),
  description: text(MAX_WEBHOOK_DESCRIPTION_LENGTH).optional(),
  scope: z.enum(WEBHOOK_SCOPES, { error: (iss) => messages.choice(iss.input) }).optional(),
  is_active: z.boolean({ error: "Must be a valid boolean." }).optional(),
});
export type UpdateWebhookInput = z.input<typeof updateWebhookInput>;

export const webhookSchema = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  description: z.string(),
  scope: z.enum(WEBHOOK_SCOPES),
  owner: z.uuid(),
  is_active: z.boolean(),
  /** Why delivery deactivated it (every delivery failing for 3 days); null otherwise. */
  disabled_reason: z.string().nullable(),
  created_date: z.iso.datetime({ offset: true }),
  modified_date: z.iso.datetime({ offset: true }),
});
export type WebhookDto = z.infer<typeof webhookSchema>;

/** The create's answer: the only one that shows the signing secret. */
export const createdWebhookSchema = webhookSchema.extend({ secret: z.string() });
export type CreatedWebhookDto = z.infer<typeof createdWebhookSchema>;

export const webhookDeliverySchema = z.object({
  /** Also the `webhook-id` header of every attempt. */
  id: z.uuid(),
  event_type: z.string(),
  export_id: z.uuid().nullable(),
  status: z.enum(WEBHOOK_DELIVERY_STATUSES),
  attempts: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  last_attempt_at: z.iso.datetime({ offset: true }).nullable(),
  next_attempt_at: z.iso.datetime({ offset: true }).nullable(),
  created_date: z.iso.datetime({ offset: true }),
});
export type WebhookDeliveryDto = z.infer<typeof webhookDeliverySchema>;

export const webhookIdInput = z.object({ id: z.string().max(100) });
