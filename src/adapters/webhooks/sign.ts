/**
 * Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by
 * the secret's bytes (`whsec_` + base64).
 */
import { createHmac } from "node:crypto";

const PREFIX = "whsec_";
const HINT = "a webhook secret must be whsec_ followed by base64, e.g. whsec_$(openssl rand -base64 32)";
/** Standard, padded base64: what the `standardwebhooks` package (@stablelib/base64) accepts. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The key bytes of a Standard Webhooks secret: an optional `whsec_` prefix, then padded
 * standard base64 (as `new Webhook(secret)` of the `standardwebhooks` package reads it).
 *
 * @throws Error when nothing follows the prefix or the rest is not padded base64 (a
 *   secret receivers' libraries would refuse to load).
 */
export function secretBytes(secret: string): Buffer {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  if (b64.length === 0) throw new Error(`the webhook secret is empty: ${HINT}`);
  if (!BASE64.test(b64)) throw new Error(`the webhook secret is not valid base64 (standard alphabet, padded with =): ${HINT}`);
  return Buffer.from(b64, "base64");
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
