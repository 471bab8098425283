/**
 * Segment-shaped messages (track, identify, page, screen, group, alias) and hand-off
 * acknowledgements, validated by zod and turned into evaluator inputs.
 */
import { z } from "zod";
import type { Input } from "./model/io.js";

const Id = z.union([z.string().min(1).max(512), z.number().transform(String)]);
const Time = z.union([z.iso.datetime({ offset: true }), z.iso.date()]).or(z.string().refine((s) => !Number.isNaN(Date.parse(s)), "expected an ISO 8601 timestamp"));
const Props = z.record(z.string(), z.unknown());

/** An optional id: an empty string is no id (some clients send `userId: ""` for anonymous visitors). */
const OptionalId = z.preprocess((v) => (v === "" ? undefined : v), Id.optional().nullable());

const base = {
  userId: OptionalId,
  anonymousId: OptionalId,
  messageId: z.string().max(512).optional(),
  timestamp: Time.optional(),
  originalTimestamp: Time.optional(),
  sentAt: Time.optional(),
  receivedAt: Time.optional(),
  context: Props.optional(),
  integrations: Props.optional(),
  writeKey: z.string().optional(),
  version: z.unknown().optional(),
  channel: z.string().optional(),
  _metadata: z.unknown().optional(),
};

/** `track`: the event named by `event`. */
export const TrackMessage = z.object({ ...base, type: z.literal("track"), event: z.string().min(1).max(256), properties: Props.optional() });
/** `identify`: merges traits; is itself the event `Identify`. */
export const IdentifyMessage = z.object({ ...base, type: z.literal("identify"), traits: Props.optional() });
/** `page`: the event `Page Viewed`. */
export const PageMessage = z.object({ ...base, type: z.literal("page"), name: z.string().optional().nullable(), category: z.string().optional().nullable(), properties: Props.optional() });
/** `screen`: the event `Screen Viewed`. */
export const ScreenMessage = z.object({ ...base, type: z.literal("screen"), name: z.string().optional().nullable(), category: z.string().optional().nullable(), properties: Props.optional() });
/** `group`: keeps the group's traits under `groups.<groupId>`; the event `Group`. */
export const GroupMessage = z.object({ ...base, type: z.literal("group"), groupId: Id, traits: Props.optional() });
/** `alias`: links `previousId` (else the message's `anonymousId`, as Segment's browser library defaults it) to `userId`. */
export const AliasMessage = z.object({ ...base, type: z.literal("alias"), previousId: OptionalId, userId: Id })
  .refine((m) => Boolean(m.previousId ?? m.anonymousId), { error: "an alias needs a previousId (or an anonymousId) to link to its userId", path: ["previousId"] });
/** A hand-off acknowledgement (simulate files and the ack API). */
export const AckMessage = z.object({
  ...base, type: z.literal("ack"), handoff: z.string().min(1).optional(), team: z.string().min(1).optional(), by: z.string().optional(),
}).refine((m) => m.handoff !== undefined || (m.team !== undefined && (m.userId ?? m.anonymousId)), "an ack names a `handoff` id, or a `team` with a `userId`");

/** Any message. */
export const Message = z.discriminatedUnion("type", [TrackMessage, IdentifyMessage, PageMessage, ScreenMessage, GroupMessage, AliasMessage, AckMessage])
  .refine((m) => m.type === "alias" || m.type === "ack" || Boolean(m.userId ?? m.anonymousId), { error: "a message needs a userId or an anonymousId", path: ["userId"] });
export type Message = z.infer<typeof Message>;

/** A message resolved for the evaluator. */
export type Resolved = {
  /** The contact the input is for (undefined for an ack by hand-off id only). */
  contact: string | undefined;
  /** A contact to merge into `contact` first (identify with both ids, alias). */
  mergeFrom?: string;
  input: Input;
  /** Event time (epoch ms). */
  at: number;
};

/**
 * How far apart `sentAt` and the receipt time may be (ms) and still count as clocks that
 * agree: within it the difference is transit time (and a client's retries), and the
 * `timestamp` is taken as it is, so events sent live through a Segment client (which always
 * sets `sentAt`) land at the instants `simulate` gives them.
 */
export const SKEW_TOLERANCE_MS = 30_000;

/**
 * The event time: `timestamp` (else `originalTimestamp`); when `sentAt` shows the client's
 * clock off by more than {@link SKEW_TOLERANCE_MS} from the receipt time, corrected as
 * Segment does (`receivedAt - (sentAt - timestamp)`); without a timestamp, receipt time.
 */
export function eventTime(m: Pick<Message, "timestamp" | "originalTimestamp" | "sentAt">, receivedAt: number): number {
  const ts = m.timestamp ?? m.originalTimestamp;
  if (ts === undefined) return receivedAt;
  const t = Date.parse(ts);
  if (m.sentAt === undefined) return t;
  const sent = Date.parse(m.sentAt);
  return Math.abs(receivedAt - sent) <= SKEW_TOLERANCE_MS ? t : receivedAt - (sent - t);
}

/** Turns a validated message into an evaluator input at time `at`. */
export function resolveMessage(m: Message, at: number): Resolved {
  const user = m.userId ?? undefined;
  const anon = m.anonymousId ?? undefined;
  const contact = user ?? anon;
  const ev = (name: string, properties: Record<string, unknown>, extra: Partial<Extract<Input, { kind: "event" }>> = {}): Input =>
    ({ kind: "event", name, properties, at, ...extra });
  switch (m.type) {
    case "track":
      return { contact, input: ev(m.event, m.properties ?? {}), at };
    case "page":
    case "screen": {
      const props = { ...(m.properties ?? {}), ...(m.name ? { name: m.name } : {}), ...(m.category ? { category: m.category } : {}) };
      return { contact, input: ev(m.type === "page" ? "Page Viewed" : "Screen Viewed", props), at };
    }
    case "identify": {
      const traits = m.traits ?? {};
      const merge = user !== undefined && anon !== undefined && anon !== user ? { mergeFrom: anon } : {};
      return { contact, ...merge, input: ev("Identify", traits, { traits }), at };
    }
    case "group": {
      const traits = m.traits ?? {};
      return { contact, input: ev("Group", { groupId: m.groupId, ...traits }, { group: { id: m.groupId, traits } }), at };
    }
    case "alias": {
      const from = m.previousId ?? m.anonymousId!;
      return { contact: m.userId, ...(from !== m.userId ? { mergeFrom: from } : {}), input: { kind: "wake" }, at };
    }
    case "ack":
      return {
        contact, at,
        input: { kind: "ack", ...(m.handoff ? { handoff: m.handoff } : {}), ...(m.team ? { team: m.team } : {}), ...(m.by ? { by: m.by } : {}) },
      };
  }
}
