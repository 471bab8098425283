// `npm run demo`: starts the engine (`waymark start`) with the example journeys, streams a
// generated funnel of 5,000 contacts through the HTTP API (Segment batch calls), waits
// until every input is evaluated, prints the funnel the API reports, and says where to look.
// Redis: REDIS_URL, else 127.0.0.1:6379, else a private redis-server (see docs/running.md).
// Options: --contacts N (default 5000), --port N (default 3000), --exit (stop when done).
import { spawn } from "node:child_process";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { findRedis } from "../dist/cli/local-redis.js";
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { generate } from "../bench/generate.mjs";

const { values: opt } = parseArgs({ options: {
  contacts: { type: "string", default: "5000" }, port: { type: "string", default: "3000" }, exit: { type: "boolean", default: false },
} });
const tty = process.stderr.isTTY === true;
const say = (s) => process.stderr.write(`${s}\n`);
const PREFIX = "waymark-demo";
const WRITE_KEY = "demo-write-key";
const ADMIN = "demo-admin-token-0123456789";
const base = `http://127.0.0.1:${opt.port}`;

const redisUrl = await findRedis(process.env, say);
const redis = new Redis(redisUrl);
// A fresh demo each run: drop the previous demo's keys (only those of the demo prefix).
for (let cursor = "0"; ;) {
  const [next, keys] = await redis.scan(cursor, "MATCH", `{${PREFIX}}*`, "COUNT", 1000);
  if (keys.length) await redis.del(...keys);
  cursor = next;
  if (cursor === "0") break;
}

// Webhook secrets of journeys/waymark.yaml: demo values where the environment has none
// (no action leaves the machine in this demo).
const secrets = {};
for (const [, name] of readFileSync("journeys/waymark.yaml", "utf8").matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
  if (!process.env[name]) secrets[name] = "whsec_ZGVtby1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u";
}
mkdirSync(".waymark/demo", { recursive: true });
const logFile = ".waymark/demo/engine.log";
const nodeArgs = (process.env.WAYMARK_NODE_ARGS ?? "").split(" ").filter(Boolean); // e.g. --cpu-prof
const engine = spawn(process.execPath, [...nodeArgs, "bin/waymark.js", "start"], {
  env: { ...process.env, ...secrets, REDIS_URL: redisUrl, WAYMARK_PREFIX: PREFIX, PORT: opt.port, WAYMARK_WRITE_KEYS: WRITE_KEY, WAYMARK_ADMIN_TOKEN: ADMIN, WAYMARK_JOURNEYS: "journeys" },
  stdio: ["ignore", openSync(logFile, "w"), "inherit"],
});
const stop = () => { engine.kill("SIGTERM"); redis.disconnect(); };
engine.on("exit", (code) => { if (code) { say(`waymark: the engine exited with ${code}; see ${logFile}`); process.exit(1); } });
for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not yet */ }
  if (i > 100) { say("waymark: the engine did not start; see " + logFile); stop(); process.exit(1); }
  await new Promise((r) => setTimeout(r, 100));
}

const load = await loadJourneyFolder("journeys", { env: { ...process.env, ...secrets } });
const messages = generate({ journeys: load.definitions.journeys.map((j) => j.journey), contacts: Number(opt.contacts), perContact: 12, seed: 7 })
  .map((m, i) => ({ ...m, messageId: `demo-${i}` }));
say(`Streaming ${messages.length.toLocaleString()} events for ${Number(opt.contacts).toLocaleString()} contacts to ${base}/v1/batch`);
const auth = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`;
const started = Date.now();
const bar = (done, total, label) => {
  const w = 30, n = Math.round((done / total) * w);
  const line = `${label} [${"#".repeat(n)}${".".repeat(w - n)}] ${done.toLocaleString()}/${total.toLocaleString()}`;
  if (tty) process.stderr.write(`\r${line}`);
  else if (done === total || done % Math.ceil(total / 5) < 200) say(line);
};
for (let i = 0; i < messages.length; i += 200) {
  const batch = messages.slice(i, i + 200);
  for (;;) {
    const res = await fetch(`${base}/v1/batch`, { method: "POST", headers: { "content-type": "application/json", authorization: auth }, body: JSON.stringify({ batch, sentAt: new Date().toISOString() }) });
    if (res.status === 429) { await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get("retry-after") ?? 1))); continue; }
    if (!res.ok) { say(`\ningest answered ${res.status}: ${await res.text()}`); stop(); process.exit(1); }
    break;
  }
  bar(Math.min(i + 200, messages.length), messages.length, "sent     ");
}
if (tty) say("");
for (;;) {
  const left = Number((await redis.get(`{${PREFIX}}:backlog`)) ?? 0);
  bar(messages.length - left, messages.length, "evaluated");
  if (left === 0 && (await redis.zcard(`{${PREFIX}}:pending`)) === 0) break;
  await new Promise((r) => setTimeout(r, 250));
}
if (tty) say("");
// The generated events are in the past: the wake-ups they left overdue wait the grace
// (WAYMARK_OVERDUE_WAKE_GRACE_MS, 2 s by default) for more input, then run.
const grace = Number(process.env.WAYMARK_OVERDUE_WAKE_GRACE_MS ?? 2_000);
const contactsQueue = new Queue("contacts", { connection: redis, prefix: `{${PREFIX}}` });
await new Promise((r) => setTimeout(r, grace + 500));
for (;;) {
  const c = await contactsQueue.getJobCounts("waiting", "active", "prioritized");
  const left = Number((await redis.get(`{${PREFIX}}:backlog`)) ?? 0);
  if (c.waiting + c.active + c.prioritized === 0 && left === 0) break;
  await new Promise((r) => setTimeout(r, 250));
}
await contactsQueue.close();
const secs = (Date.now() - started) / 1000;
say(`Ingested and evaluated ${messages.length.toLocaleString()} events in ${secs.toFixed(1)} s (${Math.round(messages.length / secs).toLocaleString()} events/s end to end)\n`);

const { journeys } = await (await fetch(`${base}/v1/journeys`, { headers: { authorization: `Bearer ${ADMIN}` } })).json();
for (const j of journeys) {
  const r = j.records;
  console.log(`${j.id}: entered ${r["journey.entered"] ?? 0}, goals ${r["goal.reached"] ?? 0}, emails ${r["email.sent"] ?? 0} sent so far / ${r["email.suppressed"] ?? 0} suppressed / ${r["email.deferred"] ?? 0} deferred, hand-offs ${r["handoff.opened"] ?? 0} opened / ${r["handoff.breached"] ?? 0} breached`);
  console.log(`  ${j.stages.map((s) => `${s.stage}: ${s.now} now, ${s.entered} entered, ${s.converted} converted`).join(" | ")}`);
}
console.log("(emails count as sent once the SMTP server accepted them: delivery goes on after evaluation, so the dashboard's figure grows for a while)");
console.log(`
Where to look (admin token ${ADMIN}${opt.exit || !tty ? "; the engine stops now (--exit, or no terminal): run 'npm run demo' in a terminal to keep it up for these" : ""}):
  curl -H 'Authorization: Bearer ${ADMIN}' ${base}/v1/journeys
  curl -H 'Authorization: Bearer ${ADMIN}' ${base}/v1/contacts/u1
  curl -H 'Authorization: Bearer ${ADMIN}' ${base}/v1/contacts/u1/journal
  curl -H 'Authorization: Bearer ${ADMIN}' '${base}/v1/handoffs?status=breached'
  curl -H 'Authorization: Bearer ${ADMIN}' -H 'Accept: text/csv' ${base}/v1/audiences/cart-abandoners
  WAYMARK_PREFIX=${PREFIX} REDIS_URL=${redisUrl} npx waymark dlq list   # webhooks to the example endpoints (no such hosts) end here after their retries
  ${process.env.SMTP_URL ? `emails went to ${process.env.SMTP_URL}` : "emails were rendered and logged, not sent: set SMTP_URL (docker compose's mailpit: smtp://127.0.0.1:1025) to send them"}
  engine log: ${logFile}; Redis keys under {${PREFIX}} at ${redisUrl}
  the same journeys on the virtual clock, no Redis: npm run demo:simulate`);
if (opt.exit || !tty) stop();
else {
  say("\nThe engine keeps running; Ctrl-C stops it.");
  process.on("SIGINT", () => { stop(); process.exit(0); });
}
