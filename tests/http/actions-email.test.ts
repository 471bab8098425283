/**
 * Email end to end: ingest -> journey -> email job -> a real SMTP server. Headers
 * (Message-ID from the effect id, RFC 8058 one-click unsubscribe), rendering, the
 * unsubscribe flow, consent re-checked at send time, retries and permanent failures.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ActionWorkers } from "../../src/adapters/actions/workers.js";
import { createMailer, TemplateRenderer } from "../../src/adapters/email/index.js";
import { Engine } from "../../src/adapters/pipeline/engine.js";
import { workerConnection, ready } from "../../src/adapters/redis/connection.js";
import { entryLines } from "../../src/adapters/redis/codec.js";
import { unpackContact } from "../../src/adapters/redis/contact-record.js";
import { simulate } from "../helpers.js";
import { quietLog, until } from "../integration/redis.js";
import { rawHeader } from "./receivers.js";
import { actionServer, identify, pathOf, track, type ActionServer } from "./actions.js";
import { admin, closeAll, get, journalUntil, ofType } from "./server.js";

let a: ActionServer | undefined;
afterEach(async () => {
  await closeAll();
  await a?.close();
  a = undefined;
});

describe("email", () => {
  it("renders the template and sends it with a stable Message-ID and one-click unsubscribe headers", async () => {
    a = await actionServer();
    await a.send(identify("u1", { email: "u1@example.com", firstName: "Ada <b>" }), track("u1", "Signed Up"));
    const j = await journalUntil(a.s, "u1", (x) => ofType(x, "email.sent").length === 1);
    const sent = ofType(j, "email.sent")[0]!;
    // The send's record took its placeholder's place inside the open chunk: no journal list.
    expect(await a.s.redis.llen(a.s.engine.keys.journal("u1"))).toBe(0);
    const open = unpackContact((await a.s.redis.getBuffer(a.s.engine.keys.contact("u1")))!).open!;
    expect(entryLines(open).map((l) => JSON.parse(l) as unknown)).toEqual(j);
    await until(async () => a!.smtp.to("u1@example.com").length === 1);
    const got = a.smtp.to("u1@example.com")[0]!;
    const { mail } = got;
    expect(mail.subject).toBe("Welcome, Ada <b>");
    expect(mail.from?.text).toContain("hello@tests.example");
    expect(mail.replyTo?.text).toContain("team@tests.example");
    expect(mail.messageId).toBe(`<${sent["effect"] as string}@tests.example>`);
    expect(mail.html).toContain("Hi Ada &lt;b&gt;");
    expect(mail.html).toContain("stage new");
    expect(mail.text).toContain("Hi Ada <b>");
    const lu = rawHeader(got, "List-Unsubscribe")!;
    expect(lu).toMatch(/^<https:\/\/waymark\.tests\.example\/v1\/unsubscribe\/[^>]+>$/);
    expect(rawHeader(got, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    // The record is the simulator's (same fields), written once the server accepted it.
    expect(sent).toMatchObject({ type: "email.sent", journey: "onboarding", template: "welcome", contact: "u1" });
    const stats = await a.s.redis.hget(a.s.engine.keys.stats, "j|onboarding|email.sent");
    expect(stats).toBe("1");
    // The finished job is gone (its rendered data does not sit in Redis); queueing the same
    // effect again, as the outbox sweep would after a crash, sends nothing.
    const done: { data: unknown; result: unknown }[] = [];
    a.s.runtime.actions!.email.on("completed", (job, result) => done.push({ data: job.data, result }));
    await a.send(identify("u1b", { email: "u1b@example.com" }), track("u1b", "Signed Up"));
    await until(async () => done.length === 1);
    const again = done[0]!.data as { id: string };
    await until(async () => (await a!.s.engine.outbox.email.getJob(again.id)) === undefined);
    const [planned] = a.s.engine.outbox.jobs(JSON.stringify(again), {});
    await a.s.engine.outbox.email.add(planned!.name, planned!.data, planned!.opts);
    await until(async () => done.length === 2);
    expect(done[1]!.result).toBe("sent");
    expect(a.smtp.to("u1b@example.com")).toHaveLength(1);
    expect(await a.s.redis.hget(a.s.engine.keys.stats, "j|onboarding|email.sent")).toBe("2");
  });

  it("keeps display names: the sender's and a recipient's written as `Name <address>`, non-ASCII included", async () => {
    a = await actionServer();
    await a.send(identify("u11", { email: "\"Åsa Berg, Ops\" <asa@example.com>" }), track("u11", "Signed Up"));
    await until(async () => a!.smtp.to("asa@example.com").length === 1);
    const got = a.smtp.to("asa@example.com")[0]!;
    expect(got.rcpt).toEqual(["asa@example.com"]);
    expect(got.mail.to && !Array.isArray(got.mail.to) ? got.mail.to.value : undefined).toEqual([{ name: "Åsa Berg, Ops", address: "asa@example.com" }]);
    expect(got.mail.from?.value).toEqual([{ name: "Waymark Tests", address: "hello@tests.example" }]);
    expect(got.mail.messageId).toMatch(/@tests\.example>$/);
  });

  it("emails one commit queues for one contact are all recorded in their places, each once (outcomes in order per contact)", async () => {
    a = await actionServer();
    const t = (i: number) => new Date(Date.now() - 10_000 + i).toISOString();
    await a.send({ ...identify("u9", { email: "u9@example.com" }), timestamp: t(0) }, { ...track("u9", "Signed Up"), timestamp: t(1) },
      ...Array.from({ length: 6 }, (_, i) => ({ ...track("u9", "Newsletter Due"), timestamp: t(2 + i) })));
    const j = await journalUntil(a.s, "u9", (x) => ofType(x, "email.sent").length === 7);
    await until(async () => a!.smtp.to("u9@example.com").length === 7);
    const effects = ofType(j, "email.sent").map((r) => r["effect"] as string);
    expect(new Set(effects).size).toBe(7);
    // Each in its placeholder's place: right after the firing of the trigger that sent it.
    expect(j.map((r) => r.type)).toEqual(["journey.entered", "stage.entered", ...Array.from({ length: 7 }, () => ["trigger.fired", "email.sent"]).flat()]);
    expect(j.filter((r) => r.type === "trigger.fired").map((r) => r["trigger"])).toEqual(["welcome", ...Array.from({ length: 6 }, () => "news")]);
    const open = unpackContact((await a.s.redis.getBuffer(a.s.engine.keys.contact("u9")))!).open!;
    expect(entryLines(open).filter((l) => l.startsWith("~"))).toEqual([]);
    expect(await a.s.redis.hget(a.s.engine.keys.stats, "j|onboarding|email.sent")).toBe("7");
    expect(await a.s.redis.xlen(a.s.engine.keys.stream)).toBe(j.length);
  });

  it("one-click unsubscribe: GET only confirms, POST unsubscribes at once; later sends are suppressed", async () => {
    a = await actionServer();
    await a.send(identify("u2", { email: "u2@example.com" }), track("u2", "Signed Up"));
    await until(async () => a!.smtp.to("u2@example.com").length === 1);
    const link = rawHeader(a.smtp.to("u2@example.com")[0]!, "List-Unsubscribe")!.slice(1, -1);
    const url = `${a.s.base}${pathOf(link)}`;
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<form method=\"post\"");
    expect(await a.s.redis.exists(a.s.engine.keys.unsubscribed("u2"))).toBe(0);
    // A forged token (another contact's id with this mac) is refused.
    const [, mac] = pathOf(link).split("/").pop()!.split(".");
    const forged = await fetch(`${a.s.base}/v1/unsubscribe/${Buffer.from("u1").toString("base64url")}.${mac}`, { method: "POST" });
    expect(forged.status).toBe(404);
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
    expect(res.status).toBe(200);
    const contact = await until(async () => {
      const c = await get(`${a!.s.base}/v1/contacts/u2`);
      return (c.body["traits"] as Record<string, unknown>)["unsubscribed"] === true ? c : undefined;
    });
    expect(contact!.status).toBe(200);
    await a.send(track("u2", "Newsletter Due"));
    const j = await journalUntil(a.s, "u2", (x) => ofType(x, "email.suppressed").length === 1);
    expect(ofType(j, "email.suppressed")[0]).toMatchObject({ reason: "unsubscribed", template: "welcome" });
    expect(a.smtp.to("u2@example.com")).toHaveLength(1);
    // The link's token never reaches the logs.
    expect(JSON.stringify(a.s.logs)).not.toContain(mac!);
    expect(JSON.stringify(a.s.logs)).toContain("/v1/unsubscribe/[token]");
    // Subscribing again (the trait back to false) lifts the one-click mark: the next email goes out.
    await a.send(identify("u2", { unsubscribed: false }), track("u2", "Newsletter Due"));
    await until(async () => a!.smtp.to("u2@example.com").length === 2);
  });

  it("re-checks consent at send time: an email queued before the unsubscribe is never sent", async () => {
    a = await actionServer({ noWorker: true });
    const k = a.s.engine.keys;
    // Drains run (the decision is made and the email queued), but no email worker yet.
    const workerRedis = workerConnection(process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379");
    await ready(workerRedis);
    const drains = new Engine({ redis: a.s.redis, workerRedis, prefix: a.s.prefix, compiled: a.s.engine.compiled, workspace: a.s.engine.workspace, log: quietLog });
    try {
      await a.send(identify("u3", { email: "u3@example.com" }), track("u3", "Signed Up"));
      await until(async () => (await a!.s.engine.outbox.email.getJobCounts("waiting"))["waiting"] === 1);
      const res = await fetch(`${a.s.base}/v1/unsubscribe/${(await unsubscribeToken(a, "u3"))}`, { method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" } });
      expect(res.status).toBe(200);
      const mailer = createMailer(`smtp://127.0.0.1:${a.smtp.port}`);
      const workers = new ActionWorkers({
        engine: drains, workerRedis, log: quietLog, mailer, renderer: () => new TemplateRenderer([]), publicUrl: "https://x.example",
        secret: a.s.runtime.secret, emailBackoffMs: 100, webhookSchedule: [0], journalMax: 1000, streamMax: 1000, concurrency: 2, lockMs: 30_000,
      });
      try {
        const j = await journalUntil(a.s, "u3", (x) => ofType(x, "email.suppressed").length === 1);
        expect(ofType(j, "email.suppressed")[0]).toMatchObject({ reason: "unsubscribed", template: "welcome" });
        expect(ofType(j, "email.sent")).toHaveLength(0);
        expect(a.smtp.received).toHaveLength(0);
      } finally {
        await workers.close(1_000);
        mailer.close();
      }
    } finally {
      await drains.close(1_000);
      workerRedis.disconnect();
    }
  });

  it("a first attempt keeps its decision against an unsubscribe trait stamped after it, as simulate does", async () => {
    a = await actionServer();
    // One batch of the past: the email's cause, and twelve hours later by its timestamp an
    // unsubscribe (a backfill): the email was decided before the contact unsubscribed.
    const t0 = Date.now() - 86_400_000;
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const messages = [
      { ...identify("u9", { email: "u9@example.com" }), timestamp: at(0) },
      { ...track("u9", "Signed Up"), timestamp: at(1_000) },
      { ...identify("u9", { unsubscribed: true }), timestamp: at(12 * 3_600_000) },
    ];
    const expected = simulate(a.s.engine.compiled, messages).records.filter((r) => r.type.startsWith("email."));
    expect(expected.map((r) => r.type)).toEqual(["email.sent"]);
    await a.send(...messages);
    await until(async () => a!.smtp.to("u9@example.com").length === 1);
    const j = await journalUntil(a.s, "u9", (x) => ofType(x, "email.sent").length === 1);
    expect(j.filter((r) => r.type.startsWith("email."))).toEqual(expected);
  });

  it("never fans out: a trait holding several addresses is suppressed as invalid-address", async () => {
    a = await actionServer();
    await a.send(identify("u6", { email: "u6@example.com, boss@example.com" }), track("u6", "Signed Up"));
    const j = await journalUntil(a.s, "u6", (x) => ofType(x, "email.suppressed").length === 1);
    expect(ofType(j, "email.suppressed")[0]).toMatchObject({ reason: "invalid-address", template: "welcome" });
    expect(a.smtp.received).toHaveLength(0);
  });

  it("retries 4xx replies with backoff and records email.sent once accepted", async () => {
    a = await actionServer();
    let refusals = 2;
    a.smtp.reject = (rcpt) => (rcpt === "u4@example.com" && refusals-- > 0 ? 451 : null);
    await a.send(identify("u4", { email: "u4@example.com" }), track("u4", "Signed Up"));
    const j = await journalUntil(a.s, "u4", (x) => ofType(x, "email.sent").length === 1);
    expect(a.smtp.refused.filter((r) => r.rcpt === "u4@example.com")).toHaveLength(2);
    expect(a.smtp.to("u4@example.com")).toHaveLength(1);
    expect(ofType(j, "email.failed")).toHaveLength(0);
  });

  it("a retry checks the unsubscribe trait again: a contact who unsubscribed meanwhile gets no email", async () => {
    // The first attempt is refused (451); the contact unsubscribes before the retry, which
    // comes about 1.5 s later.
    a = await actionServer({ env: { WAYMARK_EMAIL_BACKOFF_MS: "1500" } });
    a.smtp.reject = (rcpt) => (rcpt === "u10@example.com" ? 451 : null);
    await a.send(identify("u10", { email: "u10@example.com" }), track("u10", "Signed Up"));
    await until(async () => a!.smtp.refused.some((r) => r.rcpt === "u10@example.com"));
    await a.send(identify("u10", { unsubscribed: true }));
    const j = await journalUntil(a.s, "u10", (x) => ofType(x, "email.suppressed").length === 1);
    expect(ofType(j, "email.suppressed")[0]).toMatchObject({ reason: "unsubscribed", template: "welcome" });
    expect(ofType(j, "email.sent")).toHaveLength(0);
    expect(a.smtp.to("u10@example.com")).toHaveLength(0);
  });

  it("an accepted email whose outcome cannot be recorded is marked accepted and never sent again", async () => {
    a = await actionServer();
    const redis = a.s.redis, keys = a.s.engine.keys;
    let effect = "";
    // While the SMTP server holds the message, the effect's outcome key becomes unreadable
    // (a hash where a string belongs): every outcome attempt fails before it writes anything.
    a.smtp.beforeAccept = async (mail) => {
      effect = /^<(.+)@tests\.example>$/.exec(mail.messageId ?? "")?.[1] ?? "";
      await redis.hset(keys.effect(effect), "broken", "1");
    };
    await a.send(identify("u7", { email: "u7@example.com" }), track("u7", "Signed Up"));
    await until(async () => ((await a!.s.engine.outbox.email.getJob(effect))?.data as { accepted?: number } | undefined)?.accepted !== undefined, 15_000);
    await redis.del(keys.effect(effect));
    const j = await journalUntil(a.s, "u7", (x) => ofType(x, "email.sent").length === 1);
    expect(ofType(j, "email.sent")[0]).toMatchObject({ effect, template: "welcome" });
    await new Promise((r) => setTimeout(r, 300));
    expect(a.smtp.to("u7@example.com")).toHaveLength(1);
  });

  it("a permanent 5xx records email.failed without retrying, and leaves a dead letter", async () => {
    a = await actionServer();
    a.smtp.reject = (rcpt) => (rcpt === "u5@example.com" ? 550 : null);
    await a.send(identify("u5", { email: "u5@example.com" }), track("u5", "Signed Up"));
    const j = await journalUntil(a.s, "u5", (x) => ofType(x, "email.failed").length === 1);
    expect(ofType(j, "email.failed")[0]).toMatchObject({ reason: "rejected", code: 550, template: "welcome" });
    expect(ofType(j, "email.sent")).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(a.smtp.refused.filter((r) => r.rcpt === "u5@example.com")).toHaveLength(1);
    const dlq = await get(`${a.s.base}/v1/dlq`);
    expect((dlq.body["items"] as { name: string; reason: string; contact: string }[])[0]).toMatchObject({ name: "email", reason: "rejected", contact: "u5" });

    // Replayed once the mailbox accepts: sent, and the counters hold one outcome, not two.
    const counts = async () => ((await get(`${a!.s.base}/v1/journeys`)).body["journeys"] as { id: string; records: Record<string, number> }[]).find((x) => x.id === "onboarding")!.records;
    expect(await counts()).toMatchObject({ "email.failed": 1 });
    a.smtp.reject = () => null;
    const id = (dlq.body["items"] as { id: string }[])[0]!.id;
    const replay = await fetch(`${a.s.base}/v1/dlq/replay`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify({ ids: [id] }) });
    expect(replay.status).toBe(200);
    await journalUntil(a.s, "u5", (x) => ofType(x, "email.sent").length === 1);
    const after = await counts();
    expect(after["email.sent"]).toBe(1);
    expect(after["email.failed"] ?? 0).toBe(0);
  });
});

/** The unsubscribe token of a contact, as the email worker would put it in a link. */
async function unsubscribeToken(a: ActionServer, contact: string): Promise<string> {
  const { unsubscribeToken: token } = await import("../../src/adapters/email/index.js");
  return token(a.s.runtime.secret, contact);
}
