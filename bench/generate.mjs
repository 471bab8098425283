// Generates a deterministic Segment-shaped event stream for the example journeys:
// every event name the journeys refer to, with properties built to satisfy (or miss)
// their `where` filters, for N contacts over ~30 days. Seeded: the same stream every run.

/** Mulberry32: a tiny seeded PRNG (benchmarks must be repeatable). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A value satisfying a value test (bare value or operator object). */
function satisfy(test, r) {
  if (test === null || typeof test !== "object") return test;
  if ("eq" in test) return test.eq;
  if ("in" in test) return test.in[Math.floor(r() * test.in.length)];
  if ("gte" in test) return typeof test.gte === "number" ? test.gte + Math.floor(r() * 5) : test.gte;
  if ("gt" in test) return typeof test.gt === "number" ? test.gt + 1 + Math.floor(r() * 5) : `${test.gt}z`;
  if ("lte" in test) return typeof test.lte === "number" ? test.lte - Math.floor(r() * 3) : test.lte;
  if ("lt" in test) return typeof test.lt === "number" ? test.lt - 1 : "";
  if ("startsWith" in test) return `${test.startsWith}/page-${Math.floor(r() * 3)}`;
  if ("contains" in test) return `x-${test.contains}-y`;
  if ("matches" in test) return undefined;
  if ("exists" in test) return test.exists ? "yes" : undefined;
  if ("ne" in test) return `not-${test.ne}`;
  if ("nin" in test) return "other";
  return undefined;
}

function setPath(o, path, v) {
  const parts = path.split(".");
  let cur = o;
  for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
  cur[parts.at(-1)] = v;
}

/** Every event reference (name + where) found anywhere in the journeys. */
export function eventRefs(journeys) {
  const refs = [];
  const walk = (x) => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!x || typeof x !== "object") return;
    if (typeof x.event === "string") refs.push({ event: x.event, where: x.where ?? null });
    for (const v of Object.values(x)) walk(v);
  };
  journeys.forEach((j) => walk(j));
  return refs;
}

/** The stream: an identify, then `perContact` events per contact, interleaved by time. */
export function generate({ journeys, contacts, perContact, seed = 42, start = Date.parse("2026-03-02T08:00:00Z") }) {
  const r = rng(seed);
  const refs = eventRefs(journeys);
  const entries = journeys.filter((j) => j.entry?.event).map((j) => ({ event: j.entry.event, where: j.entry.where ?? null }));
  const zones = ["Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney"];
  const out = [];
  for (let c = 0; c < contacts; c++) {
    const userId = `u${c}`;
    let t = start + Math.floor(r() * 3 * 86_400_000);
    out.push({ type: "identify", userId, traits: { email: `${userId}@example.com`, firstName: `User${c}`, timezone: zones[c % zones.length], plan: r() < 0.3 ? "pro" : "free" }, timestamp: new Date(t).toISOString() });
    for (let k = 0; k < perContact; k++) {
      t += Math.floor(r() * r() * 2 * 86_400_000) + 1_000;
      const ref = k === 0 && entries.length ? entries[c % entries.length] : refs[Math.floor(r() * refs.length)];
      const properties = {};
      if (ref.where && r() < 0.8) for (const [path, test] of Object.entries(ref.where)) {
        const v = satisfy(test, r);
        if (v !== undefined) setPath(properties, path, v);
      }
      const name = ref.event;
      const ts = new Date(t).toISOString();
      if (name === "Page Viewed") out.push({ type: "page", userId, properties, timestamp: ts });
      else if (name === "Identify") out.push({ type: "identify", userId, traits: properties, timestamp: ts });
      else out.push({ type: "track", userId, event: name, properties, timestamp: ts });
    }
  }
  out.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
  return out;
}
