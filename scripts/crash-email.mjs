#!/usr/bin/env node
// Crash test of the email path: a burst of emails to an in-process SMTP sink while
// `waymark worker` processes are killed with SIGKILL several times. Reports emails lost
// (must be 0) and duplicates. A kill can double only the emails its process had in
// flight (accepted by the SMTP server, outcome not yet recorded), so duplicates are
// bounded by kills x WAYMARK_ACTION_CONCURRENCY: at most one per kill with the default
// --concurrency 1. Receivers de-duplicate them by Message-ID (the effect's stable id).
// Exit code 1 when a bound is broken.
//
//   npm run crash:email -- [--emails 2000] [--kills 5] [--workers 2] [--concurrency 1]
//
// Needs a Redis (REDIS_URL, else 127.0.0.1:6379) and a build (npm run build).
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { SMTPServer } from "smtp-server";
import { Redis } from "ioredis";
import pino from "pino";
import { compile } from "../dist/core/index.js";
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { Engine } from "../dist/adapters/pipeline/engine.js";

const { values: o } = parseArgs({
  options: { emails: { type: "string", default: "2000" }, kills: { type: "string", default: "5" }, workers: { type: "string", default: "2" },
    concurrency: { type: "string", default: "1" },
    timeout: { type: "string", default: "180" } },
});
const EMAILS = Number(o.emails), KILLS = Number(o.kills), WORKERS = Number(o.workers), CONCURRENCY = Number(o.concurrency);
const DIR = "tests/fixtures/actions";
const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `crash${randomBytes(4).toString("hex")}`;
const log = pino({ level: "silent" });

// The SMTP sink: counts deliveries per Message-ID.
const seen = new Map();
let accepted = 0;
const sink = new SMTPServer({
  authOptional: true, disabledCommands: ["STARTTLS"], logger: false,
  onData(stream, _session, cb) {
    let head = "";
    stream.on("data", (c) => { if (head.length < 8192) head += c.toString("utf8"); });
    stream.on("end", () => {
      const id = /^Message-ID:\s*(<[^>]+>)/im.exec(head)?.[1] ?? "?";
      seen.set(id, (seen.get(id) ?? 0) + 1);
      accepted++;
      cb();
    });
  },
});
sink.on("error", () => undefined); // a killed worker's connection resets: expected here
await new Promise((r) => sink.listen(0, "127.0.0.1", r));
const smtpUrl = `smtp://127.0.0.1:${sink.server.address().port}`;

const env = { CRM_URL: "http://127.0.0.1:9/crm", MANAGER_URL: "http://127.0.0.1:9/m", ADS_URL: "http://127.0.0.1:9/ads",
  CRM_SECRET: `whsec_${randomBytes(24).toString("base64")}`, ADS_SECRET: `whsec_${randomBytes(24).toString("base64")}` };
const folder = await loadJourneyFolder(DIR, { env, requireEnv: true });
if (!folder.ok) throw new Error("fixture journeys do not validate");
const redis = new Redis(url, { maxRetriesPerRequest: 3 });
const producer = new Engine({ redis, prefix, compiled: compile(folder.definitions), workspace: folder.definitions.workspace, log });

const procs = new Set();
process.on("exit", () => { for (const w of procs) w.kill("SIGKILL"); });
function worker() {
  const w = spawn(process.execPath, ["bin/waymark.js", "worker"], {
    env: { ...process.env, ...env, REDIS_URL: url, WAYMARK_PREFIX: prefix, WAYMARK_JOURNEYS: DIR, SMTP_URL: smtpUrl, LOG_LEVEL: "fatal",
      WAYMARK_LOCK_SECONDS: "2", WAYMARK_ACTION_CONCURRENCY: String(CONCURRENCY) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  procs.add(w);
  w.on("exit", () => procs.delete(w));
  return w;
}
for (let i = 0; i < WORKERS; i++) worker();

const t0 = Date.now();
const now = Date.now();
const items = [];
for (let c = 0; c < EMAILS; c++) {
  const user = `crash-${c}`;
  items.push({ contact: user, item: { i: { kind: "event", name: "Identify", properties: {}, traits: { email: `${user}@sink.example` }, at: now }, at: now }, messageId: `${user}-id` });
  items.push({ contact: user, item: { i: { kind: "event", name: "Signed Up", properties: {}, at: now + 1 }, at: now + 1 }, messageId: `${user}-su` });
}
for (let i = 0; i < items.length; i += 500) await producer.inbox.push(items.slice(i, i + 500), Date.now());

// Kill a worker with SIGKILL every ~0.7 s while the emails flow, and start a new one.
let kills = 0;
while (kills < KILLS && accepted < EMAILS) {
  await new Promise((r) => setTimeout(r, 700));
  const victim = [...procs][Math.floor(Math.random() * procs.size)];
  if (!victim) break;
  victim.kill("SIGKILL");
  kills++;
  worker();
}
const deadline = Date.now() + Number(o.timeout) * 1000;
const sentCount = async () => Number((await redis.hget(`{${prefix}}:stats`, "j|onboarding|email.sent")) ?? 0);
while ((seen.size < EMAILS || (await sentCount()) < EMAILS) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
await new Promise((r) => setTimeout(r, 1000)); // let late redeliveries show up
const recorded = await sentCount();
const duplicates = [...seen.values()].reduce((n, v) => n + v - 1, 0);
const bound = kills * CONCURRENCY;
const result = { emails: EMAILS, workers: WORKERS, concurrency: CONCURRENCY, kills, bound, delivered: seen.size, lost: EMAILS - seen.size, duplicates, recorded, seconds: (Date.now() - t0) / 1000 };
for (const w of procs) w.kill("SIGKILL");
await producer.close();
let cursor = "0";
do {
  const [next, keys] = await redis.scan(cursor, "MATCH", `{${prefix}}*`, "COUNT", 1000);
  cursor = next;
  if (keys.length) await redis.del(...keys);
} while (cursor !== "0");
redis.disconnect();
await new Promise((r) => sink.close(r));
const ok = result.lost === 0 && result.duplicates <= bound && recorded === EMAILS;
process.stdout.write(`${JSON.stringify(result)}\n`);
process.stdout.write(ok ? `ok: nothing lost, duplicates within ${CONCURRENCY === 1 ? "one per kill" : `${CONCURRENCY} (the emails in flight) per kill`}, every send recorded once\n` : "FAILED\n");
process.exit(ok ? 0 : 1);
