/**
 * One delivery attempt of a webhook: signed, to the declared URL only (redirects are not
 * followed), with a timeout, classified for the retry policy.
 */
import { webhookHeaders } from "./sign.js";
import { parseRetryAfter } from "./schedule.js";

/** A declared endpoint. */
export type WebhookTarget = { name: string; url: string; secret: string; headers?: Record<string, string>; timeoutMs: number };

/** A message: `id` is the webhook-id (the same on every attempt); `timestamp` goes in the body. */
export type WebhookMessage = { id: string; type: string; timestamp: Date; data: unknown };

/** What an attempt came to. */
export type DeliveryResult =
  | { ok: true; status: number; ms: number }
  | { ok: false; status?: number; ms: number; error: string; retryable: boolean; disable: boolean; retryAfterMs?: number };

const RESERVED = new Set(["content-type", "webhook-id", "webhook-timestamp", "webhook-signature", "user-agent", "content-length", "host"]);

/** The body of a message: `{ type, timestamp, data }`. */
export function webhookBody(msg: WebhookMessage): string {
  return JSON.stringify({ type: msg.type, timestamp: msg.timestamp.toISOString(), data: msg.data });
}

/**
 * Sends one attempt. `webhook-timestamp` is the attempt's time (receivers refuse
 * signatures older than 5 minutes, so a retry hours later is signed afresh).
 */
export async function deliver(target: WebhookTarget, msg: WebhookMessage, now: () => number = Date.now): Promise<DeliveryResult> {
  const body = webhookBody(msg);
  const start = now();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers ?? {})) if (!RESERVED.has(k.toLowerCase())) headers[k] = v;
  headers["user-agent"] = "Waymark-Webhooks/1";
  Object.assign(headers, webhookHeaders(target.secret, msg.id, Math.floor(start / 1_000), body));
  let res: Response;
  try {
    res = await fetch(target.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(target.timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
    const error = timedOut ? `timed out after ${target.timeoutMs} ms` : `${err.cause?.code ?? err.name}: ${err.cause?.message ?? err.message}`;
    return { ok: false, ms: now() - start, error, retryable: true, disable: false };
  }
  const ms = now() - start;
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => undefined);
    return { ok: true, status: res.status, ms };
  }
  const snippet = await readSnippet(res);
  if (res.status >= 300 && res.status < 400) {
    return { ok: false, status: res.status, ms, error: `HTTP ${res.status}: redirects are not followed (to ${res.headers.get("location") ?? "?"})`, retryable: true, disable: false };
  }
  const error = `HTTP ${res.status}${snippet ? `: ${snippet}` : ""}`;
  if (res.status === 410) return { ok: false, status: 410, ms, error, retryable: false, disable: true };
  const retryAfterMs = res.status === 429 || res.status === 503 ? parseRetryAfter(res.headers.get("retry-after"), now()) : undefined;
  return { ok: false, status: res.status, ms, error, retryable: true, disable: false, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** At most 2 KB of a failing response's body, as one line. */
async function readSnippet(res: Response): Promise<string> {
  try {
    const reader = res.body?.getReader();
    if (!reader) return "";
    let bytes = Buffer.alloc(0);
    while (bytes.length < 2_048) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes = Buffer.concat([bytes, Buffer.from(value)]);
    }
    await reader.cancel().catch(() => undefined);
    return bytes.subarray(0, 2_048).toString("utf8").replace(/\s+/g, " ").trim();
  } catch {
    return "";
  }
}
