/**
 * Steps that act on the world: email, hand-off, flag, webhook, set. Each returns its
 * journal records and an effect carrying a stable id (journey + step + contact + cause).
 */
import type { CJourney } from "../compile/compiler.js";
import type { CStep } from "../compile/steps.js";
import { pathGetter } from "../compile/predicates.js";
import type { Run, Thread } from "../model/state.js";
import { iso, ownTraits, record, type Ctx } from "./context.js";
import { stableId } from "./hash.js";
import { pickZone, quietUntil } from "./quiet-hours.js";

type Step<K extends CStep["kind"]> = Extract<CStep, { kind: K }>;

/** The stable id of a step execution: journey, run, thread, step, contact (and a suffix). */
export function effectId(ctx: Ctx, j: CJourney, run: Run, th: Thread, step: CStep, suffix = ""): string {
  return stableId("fx", j.id, run.at, th.id, step.key, ctx.s.id, suffix);
}

/** Resolves the recipient: a literal address, a trait path, or the `email` trait. */
function recipient(ctx: Ctx, to: string | undefined): string | undefined {
  const v = to === undefined ? ctx.s.traits["email"] : to.includes("@") ? to : pathGetter(to)(ctx.s.traits);
  return typeof v === "string" && v.includes("@") ? v : undefined;
}

const sentWithin = (sends: number[], t: number, per: number) => {
  let n = 0;
  for (const x of sends) if (x > t - per && x <= t) n++;
  return n;
};

/**
 * Sends an email unless consent, caps or quiet hours say otherwise.
 * Returns "deferred" when quiet hours moved it (the thread waits and retries).
 */
export function emailStep(ctx: Ctx, j: CJourney, run: Run, th: Thread, step: Step<"email">): "done" | "deferred" {
  const traits = ctx.s.traits;
  const base = { template: step.template };
  if (traits["unsubscribed"] === true) {
    record(ctx, j.id, "email.suppressed", { ...base, reason: "unsubscribed" });
    return "done";
  }
  const to = recipient(ctx, step.to);
  if (to === undefined) {
    record(ctx, j.id, "email.suppressed", { ...base, reason: "no-address" });
    return "done";
  }
  // One mailbox per email: a trait holding a list of addresses must not fan out (and, judged
  // here, it does not count against the caps; the sender checks again with a full parser).
  if (to.indexOf("@") !== to.lastIndexOf("@")) {
    record(ctx, j.id, "email.suppressed", { ...base, reason: "invalid-address" });
    return "done";
  }
  if (j.quiet) {
    const zone = pickZone([traits["timezone"]], ctx.c.workspace.timezone);
    const until = quietUntil(ctx.t, j.quiet, zone);
    if (until !== null) {
      record(ctx, j.id, "email.deferred", { ...base, reason: "quiet-hours", until: new Date(until).toISOString() });
      th.due = until;
      th.re = 1;
      return "deferred";
    }
  }
  const capped = ctx.c.workspace.caps.some((c) => sentWithin(ctx.s.em, ctx.t, c.per) >= c.max)
    || j.caps.some((c) => sentWithin(run.em, ctx.t, c.per) >= c.max);
  if (capped) {
    record(ctx, j.id, "email.suppressed", { ...base, reason: "frequency-cap" });
    return "done";
  }
  const id = effectId(ctx, j, run, th, step);
  record(ctx, j.id, "email.sent", { ...base, effect: id });
  ctx.effects.push({
    kind: "email", id, at: iso(ctx), contact: ctx.s.id, journey: j.id, trigger: th.tr, template: step.template,
    ...(step.subject !== undefined ? { subject: step.subject } : {}), to, ...(j.stages[run.st] ? { stage: j.stages[run.st]!.id } : {}), event: run.ev,
  });
  ctx.s.em = keepSends([ctx.t, ...ctx.s.em], ctx.t, ctx.c.maxCapWindow, ctx.c.workspace.caps);
  run.em = keepSends([ctx.t, ...run.em], ctx.t, Math.max(0, ...j.caps.map((c) => c.per)), j.caps);
  return "done";
}

function keepSends(sends: number[], t: number, window: number, caps: { max: number }[]): number[] {
  if (caps.length === 0) return [];
  const max = Math.max(...caps.map((c) => c.max));
  return sends.filter((x) => x > t - window).slice(0, max + 1);
}

/** Opens a hand-off, assigning the next owner round-robin (per journey and step). */
export function handoffStep(ctx: Ctx, j: CJourney, run: Run, th: Thread, step: Step<"handoff">, at: [number, number]): void {
  const id = stableId("ho", j.id, run.at, th.id, step.key, ctx.s.id);
  let owner: string | undefined;
  if (step.owners) {
    const key = `${j.id}/${step.key}`;
    const cursors = (ctx.cursors ??= {});
    const i = cursors[key] ?? 0;
    owner = step.owners[i % step.owners.length];
    cursors[key] = (i + 1) % step.owners.length;
  }
  const due = ctx.t + step.sla;
  const dueAt = new Date(due).toISOString();
  record(ctx, j.id, "handoff.opened", { handoff: id, team: step.team, ...(owner ? { owner } : {}), dueAt, trigger: th.tr });
  run.hd.push({
    id, team: step.team, ...(owner ? { owner } : {}), due, at: ctx.t, tr: th.tr, step: at,
    ...(th.h !== undefined ? { h: th.h, b0: th.b0! } : {}),
  });
  ctx.effects.push({
    kind: "handoff.opened", id: stableId("fx", id, "opened"), at: iso(ctx), contact: ctx.s.id, journey: j.id, trigger: th.tr,
    endpoint: step.endpoint, handoff: id, team: step.team, ...(owner ? { owner } : {}), dueAt,
  });
}

/** Adds or removes an audience membership (with an optional TTL). */
export function flagStep(ctx: Ctx, j: CJourney, run: Run, th: Thread, step: Step<"flag">): void {
  const id = effectId(ctx, j, run, th, step);
  const aud = step.audience;
  if (step.op === "add") {
    const expires = step.ttl ? ctx.t + step.ttl : 0;
    ctx.s.aud[aud] = [expires, j.id];
    const expiresAt = expires ? new Date(expires).toISOString() : undefined;
    record(ctx, j.id, "audience.added", { audience: aud, ...(expiresAt ? { expiresAt } : {}) });
    ctx.effects.push({ kind: "audience", id, at: iso(ctx), contact: ctx.s.id, journey: j.id, audience: aud, op: "add", ...(expiresAt ? { expiresAt } : {}) });
  } else if (ctx.s.aud[aud]) {
    delete ctx.s.aud[aud];
    record(ctx, j.id, "audience.removed", { audience: aud });
    ctx.effects.push({ kind: "audience", id, at: iso(ctx), contact: ctx.s.id, journey: j.id, audience: aud, op: "remove" });
  }
}

/** Removes audience memberships whose TTL has run out, at their exact instant. */
export function expireAudiences(ctx: Ctx): void {
  for (const aud in ctx.s.aud) {
    const [expires, journey] = ctx.s.aud[aud]!;
    if (expires !== 0 && expires <= ctx.t) {
      delete ctx.s.aud[aud];
      record(ctx, journey, "audience.removed", { audience: aud, reason: "ttl" });
      ctx.effects.push({
        kind: "audience", id: stableId("fx", ctx.s.id, aud, expires, "ttl"), at: iso(ctx), contact: ctx.s.id, journey,
        audience: aud, op: "remove",
      });
    }
  }
}

/** Sends a signed webhook to a named endpoint. */
export function webhookStep(ctx: Ctx, j: CJourney, run: Run, th: Thread, step: Step<"webhook">): void {
  const id = effectId(ctx, j, run, th, step);
  record(ctx, j.id, "webhook.sent", { endpoint: step.endpoint, effect: id });
  ctx.effects.push({
    kind: "webhook", id, at: iso(ctx), contact: ctx.s.id, journey: j.id, trigger: th.tr, endpoint: step.endpoint,
    payload: step.payload ?? {},
  });
}

/** Writes contact traits (dot-paths create nested objects). */
export function setStep(ctx: Ctx, j: CJourney, step: Step<"set">): void {
  const traits = ownTraits(ctx);
  for (const [path, value] of Object.entries(step.traits)) setPath(traits, path, value);
  record(ctx, j.id, "trait.set", { traits: step.traits });
  ctx.traitsChanged = true;
}

/** Sets a dot-path inside an object, creating objects on the way. */
export function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split(".");
  let cur = o;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]!];
    if (next === null || typeof next !== "object" || Array.isArray(next)) cur[parts[i]!] = {};
    cur = cur[parts[i]!] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}
