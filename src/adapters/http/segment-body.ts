/**
 * Segment request bodies -> inbox pushes: one message (`/v1/track`, ...) or a batch
 * (`/v1/batch`), validated with the core `Message` schema, timed with the `sentAt` skew
 * correction, and resolved to the contact they are for. Pure: no IO, the receipt time is
 * an argument.
 */
import { Message, eventTime, resolveMessage } from "../../core/index.js";
import type { Push } from "../pipeline/inbox.js";

/** How far ahead of receipt an event time may be (clock jitter); later times are clamped. */
export const MAX_FUTURE_MS = 60_000;

/** The message types taken on ingest (acknowledgements go through the admin API). */
export const INGEST_TYPES = ["track", "identify", "page", "screen", "group", "alias"] as const;
/** One of {@link INGEST_TYPES}. */
export type IngestType = (typeof INGEST_TYPES)[number];

/** Largest message (bytes of its JSON): Segment's 32 KB. */
export const MESSAGE_LIMIT = 32 * 1024;
/** Largest batch request (bytes): Segment's 500 KB. */
export const BATCH_LIMIT = 500 * 1024;

/** A validation problem, in the shape of a zod issue (`code`, `path`, `message`, ...). */
export type Issue = { code: string; path: PropertyKey[]; message: string; [extra: string]: unknown };

/** The result of one message: a push for the inbox, or why it was refused. */
export type ItemResult = { ok: true; push: Push } | { ok: false; issues: Issue[] };

/** A refused item of a batch. */
export type ItemProblem = { index: number; issues: Issue[] };

/** Batch-level fields Segment applies to every message of the batch. */
type BatchDefaults = { sentAt?: unknown; context?: unknown; integrations?: unknown };

const issue = (code: string, path: PropertyKey[], message: string): Issue => ({ code, path, message });

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function withDefaults(m: Record<string, unknown>, d: BatchDefaults): Record<string, unknown> {
  const out = { ...m };
  if (out["sentAt"] === undefined && d.sentAt !== undefined) out["sentAt"] = d.sentAt;
  if (isObject(d.context)) out["context"] = { ...d.context, ...(isObject(m["context"]) ? m["context"] : {}) };
  if (isObject(d.integrations)) out["integrations"] = { ...d.integrations, ...(isObject(m["integrations"]) ? m["integrations"] : {}) };
  return out;
}

/**
 * Validates one message and turns it into an inbox push. Its event time is `timestamp`
 * corrected for client clock skew with `sentAt` (`receivedAt - (sentAt - timestamp)`),
 * else `receivedAt`.
 */
export function toPush(raw: unknown, receivedAt: number): ItemResult {
  if (!isObject(raw)) return { ok: false, issues: [issue("invalid_type", [], "expected a message object")] };
  if (raw["type"] === "ack") {
    return { ok: false, issues: [issue("invalid_value", ["type"], "hand-off acknowledgements are taken by POST /v1/handoffs/:id/ack or /v1/handoffs/ack")] };
  }
  if (!(INGEST_TYPES as readonly unknown[]).includes(raw["type"])) {
    return { ok: false, issues: [{ ...issue("invalid_value", ["type"], `type must be one of ${INGEST_TYPES.join(", ")}`), values: [...INGEST_TYPES] }] };
  }
  const parsed = Message.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues as unknown as Issue[] };
  const m = parsed.data;
  // A time in the future (a client clock far ahead, with no sentAt to correct it) would move
  // the contact's clock forward for good: it is clamped to a minute after receipt.
  const at = Math.min(eventTime(m, receivedAt), receivedAt + MAX_FUTURE_MS);
  const r = resolveMessage(m, at);
  if (r.contact === undefined) return { ok: false, issues: [issue("custom", ["userId"], "a message needs a userId or an anonymousId")] };
  return {
    ok: true,
    push: {
      contact: r.contact,
      item: { i: r.input, at: r.at, ...(r.mergeFrom !== undefined ? { m: r.mergeFrom } : {}) },
      ...(m.messageId !== undefined ? { messageId: m.messageId } : {}),
    },
  };
}

/**
 * A single-message route: the `type` comes from the path (set when absent; a different
 * `type` in the body is an issue).
 */
export function singleMessage(body: unknown, type: IngestType, receivedAt: number): ItemResult {
  if (!isObject(body)) return { ok: false, issues: [issue("invalid_type", [], "expected a JSON object")] };
  if (body["type"] !== undefined && body["type"] !== type) {
    return { ok: false, issues: [issue("invalid_value", ["type"], `type "${String(body["type"])}" contradicts the route /v1/${type}`)] };
  }
  return toPush({ ...body, type }, receivedAt);
}

/**
 * A batch: `{ batch: [...], sentAt?, context?, integrations? }`. Every valid item becomes
 * a push (in order); an invalid or oversize item (over {@link MESSAGE_LIMIT} bytes of
 * JSON) is reported by its index and does not stop the others.
 */
export function batchMessages(body: unknown, receivedAt: number): { pushes: Push[]; problems: ItemProblem[]; bodyIssues?: Issue[] } {
  if (!isObject(body) || !Array.isArray(body["batch"])) {
    return { pushes: [], problems: [], bodyIssues: [issue("invalid_type", ["batch"], "expected { \"batch\": [messages] }")] };
  }
  const defaults: BatchDefaults = { sentAt: body["sentAt"], context: body["context"], integrations: body["integrations"] };
  const pushes: Push[] = [];
  const problems: ItemProblem[] = [];
  (body["batch"] as unknown[]).forEach((raw, index) => {
    const size = Buffer.byteLength(JSON.stringify(raw) ?? "");
    if (size > MESSAGE_LIMIT) {
      problems.push({ index, issues: [{ ...issue("too_big", [], `message is ${size} bytes: the limit is ${MESSAGE_LIMIT} (32 KB)`), maximum: MESSAGE_LIMIT }] });
      return;
    }
    const r = toPush(isObject(raw) ? withDefaults(raw, defaults) : raw, receivedAt);
    if (r.ok) pushes.push(r.push);
    else problems.push({ index, issues: r.issues });
  });
  return { pushes, problems };
}
