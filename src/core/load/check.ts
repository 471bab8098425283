/**
 * Cross-reference checks that a schema cannot express: unknown ids, cycles, duplicates.
 */
import type { Condition } from "../schema/condition.js";
import type { Journey } from "../schema/journey.js";
import type { Workspace } from "../schema/workspace.js";
import type { PathIssue } from "./problems.js";
import { isEventMatch, walkCondition, walkSteps } from "./walk.js";

/** What a journey may refer to outside itself. */
export type Known = {
  workspace: Workspace;
  templates: ReadonlySet<string>;
  /** False when waymark.yaml could not be parsed: references to endpoints and audiences are not checked. */
  workspaceKnown?: boolean;
};

/** Every cross-reference problem of one journey, located by path. */
export function checkJourney(j: Journey, known: Known): PathIssue[] {
  const issues: PathIssue[] = [];
  const add = (path: PropertyKey[], message: string) => issues.push({ path, message });
  const stages = new Set<string>();
  (j.stages ?? []).forEach((s, i) => {
    if (stages.has(s.id)) add(["stages", i, "id"], `duplicate stage "${s.id}"`);
    stages.add(s.id);
  });
  const segments = new Set(Object.keys(j.segments ?? {}));
  const thresholds = new Set(Object.keys(j.score?.thresholds ?? {}));
  const triggerIds = new Set<string>();
  const list = (s: Iterable<string>) => [...s].join(", ") || "none declared";

  const checkCondition = (c: Condition, path: PropertyKey[]) =>
    walkCondition(c, path, (n, p) => {
      if (n.segment !== undefined && !segments.has(n.segment)) add([...p, "segment"], `unknown segment "${n.segment}" (segments: ${list(segments)})`);
      if (typeof n.stage === "string" && !stages.has(n.stage)) add([...p, "stage"], `unknown stage "${n.stage}" (stages: ${list(stages)})`);
      if (typeof n.stage === "object") n.stage.in.forEach((s, i) => { if (!stages.has(s)) add([...p, "stage", "in", i], `unknown stage "${s}"`); });
      if (n.score !== undefined && !j.score) add([...p, "score"], "this journey has no `score` section");
    });

  if ("segment" in j.entry && !segments.has(j.entry.segment)) add(["entry", "segment"], `unknown segment "${j.entry.segment}" (segments: ${list(segments)})`);
  j.exit?.forEach((e, i) => { if (!isEventMatch(e)) checkCondition(e, ["exit", i]); });
  (j.stages ?? []).forEach((s, i) => s.when && checkCondition(s.when, ["stages", i, "when"]));
  for (const [id, seg] of Object.entries(j.segments ?? {})) checkCondition(seg.when, ["segments", id, "when"]);
  checkSegmentCycles(j, add);

  const stepIds = new Set<string>();
  const splitIds = new Set<string>();
  const endpoints = known.workspace.endpoints ?? {};
  const audiences = known.workspace.audiences;
  j.triggers?.forEach((t, ti) => {
    const tp = ["triggers", ti];
    if (triggerIds.has(t.id)) add([...tp, "id"], `duplicate trigger "${t.id}"`);
    triggerIds.add(t.id);
    if (t.if) checkCondition(t.if, [...tp, "if"]);
    if (typeof t.on === "object") {
      const on = t.on as Record<string, unknown>;
      const ref = (key: string, set: Set<string>, what: string) => {
        const v = on[key];
        if (typeof v === "string" && !set.has(v)) add([...tp, "on", key], `unknown ${what} "${v}" (${what}s: ${list(set)})`);
      };
      ref("stage.entered", stages, "stage");
      ref("segment.entered", segments, "segment");
      ref("segment.exited", segments, "segment");
      ref("score.crossed", thresholds, "threshold");
      const stalled = on["stalled"] as { stage: string } | undefined;
      if (stalled && !stages.has(stalled.stage)) add([...tp, "on", "stalled", "stage"], `unknown stage "${stalled.stage}"`);
    }
    walkSteps(t.do, [...tp, "do"], (s, p) => {
      if (s.id !== undefined) {
        if (stepIds.has(s.id)) add([...p, "id"], `duplicate step id "${s.id}"`);
        stepIds.add(s.id);
      }
      if (s.if) checkCondition(s.if, [...p, "if"]);
      if (typeof s.wait === "object" && !isEventMatch(s.wait.until)) checkCondition(s.wait.until, [...p, "wait", "until"]);
      if (s.email && !known.templates.has(s.email.template)) {
        add([...p, "email", "template"], `unknown template "${s.email.template}" (templates: ${list(known.templates)})`);
      }
      const endpoint = s.handoff?.to ?? s.webhook?.to;
      if (endpoint !== undefined && known.workspaceKnown !== false && !(endpoint in endpoints)) {
        add([...p, s.handoff ? "handoff" : "webhook", "to"], `unknown endpoint "${endpoint}" (endpoints in waymark.yaml: ${list(Object.keys(endpoints))})`);
      }
      if (s.flag && audiences && !(s.flag.audience in audiences)) {
        add([...p, "flag", "audience"], `unknown audience "${s.flag.audience}" (audiences in waymark.yaml: ${list(Object.keys(audiences))})`);
      }
      if (s.split) {
        if (splitIds.has(s.split.id)) add([...p, "split", "id"], `duplicate split id "${s.split.id}"`);
        splitIds.add(s.split.id);
      }
    });
  });
  j.triggers?.forEach((t, ti) => {
    const on = t.on as Record<string, unknown>;
    const ref = typeof on === "object" ? on["handoff.breached"] : undefined;
    if (typeof ref === "string" && !triggerIds.has(ref)) add(["triggers", ti, "on", "handoff.breached"], `unknown trigger "${ref}"`);
  });
  return issues;
}

function checkSegmentCycles(j: Journey, add: (path: PropertyKey[], message: string) => void): void {
  const deps = new Map<string, string[]>();
  for (const [id, seg] of Object.entries(j.segments ?? {})) {
    const d: string[] = [];
    walkCondition(seg.when, [], (n) => { if (n.segment !== undefined) d.push(n.segment); });
    deps.set(id, d);
  }
  const state = new Map<string, 1 | 2>();
  const reported = new Set<string>();
  const visit = (id: string, trail: string[]): void => {
    if (state.get(id) === 2 || !deps.has(id)) return;
    if (state.get(id) === 1) {
      const cycle = [...trail.slice(trail.indexOf(id)), id];
      if (!reported.has(id)) add(["segments", id, "when"], `segment cycle: ${cycle.join(" -> ")}`);
      cycle.forEach((c) => reported.add(c));
      return;
    }
    state.set(id, 1);
    for (const d of deps.get(id)!) visit(d, [...trail, id]);
    state.set(id, 2);
  };
  for (const id of deps.keys()) visit(id, []);
}

/** Cross-reference problems of the workspace file itself. */
export function checkWorkspace(w: Workspace): PathIssue[] {
  const issues: PathIssue[] = [];
  const endpoints = w.endpoints ?? {};
  for (const [id, a] of Object.entries(w.audiences ?? {})) {
    a.endpoints?.forEach((e, i) => {
      if (!(e in endpoints)) issues.push({ path: ["audiences", id, "endpoints", i], message: `unknown endpoint "${e}"` });
    });
  }
  return issues;
}

/** The subject of an email whose template and step give none: the template's name as words ("webinar-recap" -> "Webinar recap"). */
export function defaultSubject(template: string): string {
  const words = template.replace(/[-_.]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Email steps whose template has no front-matter subject and that give none: warnings (they go out with the default subject). */
export function untitledSteps(j: Journey, untitled: ReadonlySet<string>): PathIssue[] {
  const out: PathIssue[] = [];
  if (untitled.size === 0) return out;
  (j.triggers ?? []).forEach((t, ti) => walkSteps(t.do, ["triggers", ti, "do"], (s, p) => {
    if (s.email && s.email.subject === undefined && untitled.has(s.email.template)) {
      out.push({ path: [...p, "email", "template"], message: `template "${s.email.template}" has no subject and this step gives none: it goes out as "${defaultSubject(s.email.template)}" (add subject: to its front matter or to the step)` });
    }
  }));
  return out;
}
