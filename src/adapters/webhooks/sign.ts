/**
 * Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by
 * the secret's bytes (`whsec_` + base64, or a plain string as it is).
 */
import { createHmac } from "node:crypto";

const PREFIX = "whsec_";
const HINT = "a Standard Webhooks secret is whsec_ followed by base64, e.g. whsec_$(openssl rand -base64 32)";
/** Standard, padded base64: what the `standardwebhooks` package (@stablelib/base64) accepts. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The key bytes of a webhook secret. `whsec_` + padded standard base64 is Standard
 * Webhooks' form (decoded, as `new Webhook(secret)` of the `standardwebhooks` package reads
 * it); so is bare padded base64. Any other string is used as it is (its UTF-8 bytes), for
 * receivers that compute the HMAC with the plain secret.
 *
 * @throws Error when the secret is empty, or starts with `whsec_` but is not padded base64.
 */
export function secretBytes(secret: string): Buffer {
  const prefixed = secret.startsWith(PREFIX);
  const b64 = prefixed ? secret.slice(PREFIX.length) : secret;
  if (b64.length === 0) throw new Error(`the webhook secret is empty: ${HINT}`);
  if (BASE64.test(b64)) return Buffer.from(b64, "base64");
  if (prefixed) throw new Error(`the webhook secret is not valid base64 (standard alphabet, padded with =): ${HINT}`);
  return Buffer.from(secret, "utf8");
}

/**
 * The `webhook-signature` value for one attempt: `v1,` + base64 HMAC-SHA256, keyed by
 * {@link secretBytes}, of `${id}.${timestampSeconds}.${body}`.
 */
export function signature(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac("sha256", secretBytes(secret)).update(`${id}.${timestampSeconds}.${body}`, "utf8").digest("base64");
  return `v1,${mac}`;
}

/**
 * The headers of a signed attempt: `content-type: application/json`, `webhook-id`,
 * `webhook-timestamp` (Unix seconds) and `webhook-signature`.
 */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
    "webhook-signature": signature(secret, id, timestampSeconds, body),
  };
}
