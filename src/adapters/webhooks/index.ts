/**
 * Outbound webhooks following Standard Webhooks: signing, one delivery attempt, retry
 * schedules.
 */
export { secretBytes, signature, webhookHeaders } from "./sign.js";
export { DEFAULT_SCHEDULE, parseRetryAfter, parseSchedule, retryDelay } from "./schedule.js";
export { deliver, webhookBody, type DeliveryResult, type WebhookMessage, type WebhookTarget } from "./deliver.js";
