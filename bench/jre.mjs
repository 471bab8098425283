// The yardstick: the same journey conditions (segments, stages, exits) evaluated by
// json-rules-engine for every event, with facts computed from each contact's event log.
import { Engine } from "json-rules-engine";

const OPS = { eq: "equal", ne: "notEqual", gt: "greaterThan", gte: "greaterThanInclusive", lt: "lessThan", lte: "lessThanInclusive", in: "in", nin: "notIn", contains: "contains", startsWith: "startsWith", matches: "matches", exists: "exists" };

function parseMs(d) {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(d);
  if (m) return Number(m[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[m[2]];
  const iso = /^PT?(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?$/.exec(d);
  return iso ? (Number(iso[1] ?? 0) * 864e5 + Number(iso[2] ?? 0) * 36e5 + Number(iso[3] ?? 0) * 6e4) : 0;
}

function testValue(test, v) {
  if (test === null || typeof test !== "object") return v === test;
  return Object.entries(test).every(([op, x]) => {
    switch (op) {
      case "eq": return v === x;
      case "ne": return v !== x;
      case "gt": return v != null && v > x;
      case "gte": return v != null && v >= x;
      case "lt": return v != null && v < x;
      case "lte": return v != null && v <= x;
      case "in": return x.includes(v);
      case "nin": return !x.includes(v);
      case "exists": return (v != null) === x;
      case "contains": return typeof v === "string" ? v.includes(x) : Array.isArray(v) && v.includes(x);
      case "startsWith": return typeof v === "string" && v.startsWith(x);
      case "matches": return typeof v === "string" && new RegExp(x).test(v);
      default: return false;
    }
  });
}
const get = (o, path) => path.split(".").reduce((a, k) => (a == null ? undefined : a[k]), o);
const matchWhere = (where, props) => !where || Object.entries(where).every(([p, t]) => testValue(t, get(props, p)));

/** Builds an engine holding every journey's conditions as rules. */
export function buildEngine(journeys) {
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addOperator("startsWith", (a, b) => typeof a === "string" && a.startsWith(b));
  engine.addOperator("matches", (a, b) => typeof a === "string" && new RegExp(b).test(a));
  engine.addOperator("exists", (a, b) => (a != null) === b);
  let performedId = 0;
  const performed = new Map();
  const leaf = (fact, test, extra = {}) => {
    if (test === null || typeof test !== "object") return { fact, operator: "equal", value: test, ...extra };
    const parts = Object.entries(test).map(([op, x]) => ({ fact, operator: OPS[op], value: x, ...extra }));
    return parts.length === 1 ? parts[0] : { all: parts };
  };
  const conv = (c, j) => {
    if (c.all) return { all: c.all.map((x) => conv(x, j)) };
    if (c.any) return { any: c.any.map((x) => conv(x, j)) };
    if (c.not) return { not: conv(c.not, j) };
    if (c.performed) {
      const id = `p${performedId++}`;
      performed.set(id, { event: c.performed.event, where: c.performed.where, within: c.performed.within ? parseMs(c.performed.within) : Infinity });
      return leaf("performed", c.performed.count ?? { gte: 1 }, { params: { id } });
    }
    if (c.trait) {
      const parts = Object.entries(c.trait).map(([path, t]) => leaf("traits", t, { path: `$.${path}` }));
      return parts.length === 1 ? parts[0] : { all: parts };
    }
    if (c.segment) return { condition: `${j.id}/${c.segment}` };
    if (c.stage) return typeof c.stage === "string" ? { fact: "stage", operator: "equal", value: c.stage, params: { j: j.id } } : { fact: "stage", operator: "in", value: c.stage.in, params: { j: j.id } };
    if (c.score !== undefined) return leaf("score", c.score, { params: { j: j.id } });
    if (c.inStage) return { fact: "stageAge", operator: "greaterThanInclusive", value: parseMs(c.inStage.for), params: { j: j.id } };
    return { fact: "traits", operator: "equal", value: "__never__" };
  };
  let rules = 0;
  for (const j of journeys) {
    const root = (c) => { const x = conv(c, j); return "all" in x || "any" in x || "not" in x || "condition" in x ? x : { all: [x] }; };
    for (const [id, s] of Object.entries(j.segments ?? {})) engine.setCondition(`${j.id}/${id}`, root(s.when));
    const add = (name, when) => {
      engine.addRule({ name, conditions: root(when), event: { type: name } });
      rules++;
    };
    for (const id of Object.keys(j.segments ?? {})) add(`${j.id}/segment/${id}`, { segment: id });
    for (const s of j.stages) if (s.when) add(`${j.id}/stage/${s.id}`, s.when);
    (j.exit ?? []).forEach((e, i) => { if (!e.event) add(`${j.id}/exit/${i}`, e); });
  }
  engine.addFact("performed", (params, almanac) => almanac.factValue("log").then((log) => {
    const p = performed.get(params.id);
    const now = log.now;
    let n = 0;
    for (const e of log.events) if (e.name === p.event && now - e.at < p.within && matchWhere(p.where, e.props)) n++;
    return n;
  }));
  return { engine, rules };
}

/** Runs the engine over `events` (resolved inputs) and returns events/s. */
export async function runJre(journeys, events, maxWindow) {
  const { engine, rules } = buildEngine(journeys);
  const logs = new Map();
  const started = performance.now();
  for (const e of events) {
    let c = logs.get(e.contact);
    if (!c) logs.set(e.contact, (c = { events: [], traits: {}, now: 0 }));
    c.now = e.at;
    if (e.traits) Object.assign(c.traits, e.traits);
    c.events.push({ name: e.name, props: e.properties, at: e.at });
    while (c.events.length && e.at - c.events[0].at >= maxWindow) c.events.shift();
    await engine.run({ log: c, traits: c.traits, score: 0, stage: "none", stageAge: 0 });
  }
  const ms = performance.now() - started;
  return { eventsPerSec: events.length / (ms / 1000), ms, rules };
}
