/**
 * One delivery attempt of a webhook: signed, to the declared URL only (redirects are not
 * followed), with a timeout, classified for the retry policy.
 */
import { webhookHeaders } from "./sign.js";
import { parseRetryAfter } from "./schedule.js";

/** A declared endpoint: where to POST, the `whsec_` secret, extra headers, the timeout. */
export type WebhookTarget = { name: string; url: string; secret: string; headers?: Record<string, string>; timeoutMs: number };

/**
 * A message: `id` is the `webhook-id` (the same on every attempt, for receivers to
 * deduplicate); `timestamp` is when the event happened and goes in the body.
 */
export type WebhookMessage = { id: string; type: string; timestamp: Date; data: unknown };

/**
 * What an attempt came to. A failure says whether to retry it, whether to disable the
 * endpoint (410 Gone), and how long the receiver asked to wait (429/503 `Retry-After`).
 */
export type DeliveryResult =
  | { ok: true; status: number; ms: number }
  | { ok: false; status?: number; ms: number; error: string; retryable: boolean; disable: boolean; retryAfterMs?: number };

/** Headers we set; an endpoint's configured headers of these names are dropped. */
const RESERVED = new Set(["content-type", "webhook-id", "webhook-timestamp", "webhook-signature", "user-agent", "content-length", "host"]);
const USER_AGENT = "Waymark-Webhooks/1";
/** How much of a failing response's body goes into the error. */
const SNIPPET_BYTES = 2_048;

/** The body of a message: `{"type","timestamp" (ISO 8601),"data"}`. */
export function webhookBody(msg: WebhookMessage): string {
  return JSON.stringify({ type: msg.type, timestamp: msg.timestamp.toISOString(), data: msg.data });
}

/**
 * Sends one attempt: a POST of {@link webhookBody}, signed per Standard Webhooks.
 *
 * `webhook-timestamp` is the time of the attempt (from `now`), not `msg.timestamp`:
 * receivers refuse signatures more than 5 minutes off, so a retry hours later is
 * signed afresh; the event's own time is in the body.
 *
 * Classification: 2xx ok; 410 disables the endpoint (not retried); any other status,
 * a redirect (never followed), a timeout or a connection error is retryable.
 */
export async function deliver(target: WebhookTarget, msg: WebhookMessage, now: () => number = Date.now): Promise<DeliveryResult> {
  const body = webhookBody(msg);
  const start = now();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers ?? {})) if (!RESERVED.has(k.toLowerCase())) headers[k] = v;
  headers["user-agent"] = USER_AGENT;
  Object.assign(headers, webhookHeaders(target.secret, msg.id, Math.floor(start / 1_000), body));
  let res: Response;
  try {
    res = await fetch(target.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(target.timeoutMs) });
  } catch (e) {
    return { ok: false, ms: now() - start, error: fetchError(e, target.timeoutMs), retryable: true, disable: false };
  }
  const ms = now() - start;
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: true, status: res.status, ms };
  }
  const snippet = await readSnippet(res);
  if (res.status >= 300 && res.status < 400) {
    const to = res.headers.get("location") ?? "?";
    return { ok: false, status: res.status, ms, error: `HTTP ${res.status}: redirects are not followed (to ${to})`, retryable: true, disable: false };
  }
  const error = `HTTP ${res.status}${snippet ? `: ${snippet}` : ""}`;
  if (res.status === 410) return { ok: false, status: 410, ms, error, retryable: false, disable: true };
  const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get("retry-after"), now()) : undefined;
  return { ok: false, status: res.status, ms, error, retryable: true, disable: false, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** The text of a failed fetch: a timeout, or the connection error's code and message. */
function fetchError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string; message?: string; errors?: { code?: string; message?: string }[] } };
  if (err.name === "TimeoutError" || err.name === "AbortError") return `timed out after ${timeoutMs} ms`;
  const cause = err.cause?.code || err.cause?.message ? err.cause : err.cause?.errors?.[0];
  const code = cause?.code ?? err.name;
  const message = cause?.message || err.message;
  return message.includes(code) ? message : `${code}: ${message}`;
}

/** At most 2 KB of a failing response's body, whitespace collapsed; the rest is cancelled. */
async function readSnippet(res: Response): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
      size += value.byteLength;
    }
  } catch {
    // A body cut short or timed out: keep what arrived.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString("utf8").replace(/\uFFFD+$/, "").replace(/\s+/g, " ").trim();
}
