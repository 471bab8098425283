/**
 * Redis key names. Everything lives under one hash-tagged prefix (`{waymark}`), so a
 * Redis Cluster keeps a deployment's keys on one shard and Lua scripts may touch them all.
 */
import { fnv1a } from "../../core/eval/hash.js";

/** Key builder for one prefix. */
export class Keys {
  readonly base: string;

  constructor(readonly prefix: string) {
    this.base = `{${prefix}}`;
  }

  /** Contact record: a string, header (version, journal count), the stored state, the journal's open chunk (contact-record.ts). */
  contact(id: string): string { return `${this.base}:c:${id}`; }
  /** Inputs waiting to be evaluated for a contact, oldest first. */
  inbox(id: string): string { return `${this.base}:in:${id}`; }
  /** A contact's journal: sealed chunks (capped list, oldest first) before the record's open chunk. */
  journal(id: string): string { return `${this.base}:j:${id}`; }
  /** Anonymous id -> the user it was merged into. */
  alias(id: string): string { return `${this.base}:alias:${id}`; }
  /**
   * Anonymous id -> `<instant>|<user>`: the first identify or alias queued but not yet
   * committed that merges it; ingest sends the id's messages stamped from that instant on to
   * the user (deleted by the merge's commit).
   */
  route(id: string): string { return `${this.base}:route:${id}`; }
  /** Seen message ids (de-duplication window). */
  message(id: string): string { return `${this.base}:mid:${id}`; }
  /** A hand-off (hash: contact, journey, team, owner, status, times). */
  handoff(id: string): string { return `${this.base}:handoff:${id}`; }
  /** Hand-offs by status (`open`, `breached`, `resolved`), scored by when they got there. */
  handoffs(status: string): string { return `${this.base}:hos:${status}`; }
  /** Effects committed but not yet queued as jobs (sorted set scored by commit time). */
  get outbox(): string { return `${this.base}:outbox`; }
  /** An effect's recorded outcome (guards against recording it twice). */
  effect(id: string): string { return `${this.base}:fx:${id}`; }
  /** Members of an audience, scored by expiry (ms; `+inf` for none). */
  audience(id: string): string { return `${this.base}:aud:${id}`; }
  /** Audience changes waiting to be synced to the audience's endpoints. */
  audienceChanges(id: string): string { return `${this.base}:audq:${id}`; }
  /** Audiences with changes waiting, scored by the oldest change's time. */
  get audiencesPending(): string { return `${this.base}:audq`; }
  /** Contacts unsubscribed through a one-click link (checked again at send time). */
  unsubscribed(contact: string): string { return `${this.base}:unsub:${contact}`; }
  /** Dead letters: id -> entry JSON. */
  get deadLetters(): string { return `${this.base}:dlq`; }
  /** Dead-letter ids scored by when they died. */
  get deadLetterIndex(): string { return `${this.base}:dlq:at`; }
  /** Endpoints disabled by a 410 reply: name -> JSON reason. */
  get disabledEndpoints(): string { return `${this.base}:endpoints:disabled`; }
  /** Email address (lower-cased) -> the contact that has it, for finding contacts. */
  email(address: string): string { return `${this.base}:email:${address.trim().toLowerCase()}`; }
  /** The deployment's signing secret (unsubscribe and acknowledgement links). */
  get secret(): string { return `${this.base}:secret`; }
  /** Global journal stream for dashboards. */
  get stream(): string { return `${this.base}:stream`; }
  /** Counters by journey, record type and stage/segment. */
  get stats(): string { return `${this.base}:stats`; }
  /** Flow counters of one UTC hour (`YYYY-MM-DDTHH`), kept 8 days. */
  statsHour(hour: string): string { return `${this.base}:stats:h:${hour}`; }
  /** Flow counters of one UTC day (`YYYY-MM-DD`), kept 400 days. */
  statsDay(day: string): string { return `${this.base}:stats:d:${day}`; }
  /** A journey's attributed conversions (capped list of `{ at, contact, credits }`), for reports under any model. */
  conversions(journey: string): string { return `${this.base}:conv:${journey}`; }
  /** Contacts in a journey's stage now, scored by when they entered it (for stalled counts). */
  inStage(journey: string, stage: string): string { return `${this.base}:stage:${journey}:${stage}`; }
  /** Compression dictionaries of deployments: id -> strings (dictionary.ts). */
  get dictionaries(): string { return `${this.base}:dicts`; }
  /** Round-robin cursors. */
  get cursors(): string { return `${this.base}:cursors`; }
  /** Messages waiting in all inboxes (for back-pressure). */
  get backlog(): string { return `${this.base}:backlog`; }
  /** Contacts with a non-empty inbox, scored by when it became non-empty. */
  get pending(): string { return `${this.base}:pending`; }
  /** BullMQ prefix (queues live under it). */
  get bull(): string { return this.base; }
}

/** A short id for a contact usable in BullMQ job ids (which must not contain `:`). */
export function jobKey(contact: string): string {
  return `${fnv1a(contact).toString(36)}${fnv1a(`~${contact}`).toString(36)}`;
}
