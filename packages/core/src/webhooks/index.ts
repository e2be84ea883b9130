// Webhooks (issue 16): endpoints, the outbox fan-out, and Standard Webhooks delivery with retries.
export {
  addressRange,
  type HostLookup,
  isPublicAddress,
  parseWebhookUrl,
  resolveWebhookHost,
  systemLookup,
  UnsafeUrlError,
} from "./address";
export {
  attemptDelivery,
  type ClaimedDelivery,
  claimDeliveries,
  type DeliveryConfig,
  DISABLE_AFTER_MS,
  recordAttempt,
} from "./deliver";
export { deliveryConfigFromEnv, WebhookDeliverer, type WebhookDelivererOptions } from "./deliverer";
export { dispatchEvents } from "./dispatch";
export { MAX_ANSWER_BYTES, type SendResult, sendWebhook } from "./send";
