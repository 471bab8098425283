// Email adapters against a real in-process SMTP server (smtp-server) read back with
// mailparser: rendered Liquid and MJML templates, headers (Message-ID from the effect id,
// RFC 8058 one-click unsubscribe), unsubscribe tokens and SMTP error classes.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  classifySmtpError, createMailer, domainOf, mailOptions, TemplateError, TemplateRenderer,
  unsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken, type Mailer, type OutgoingEmail, type RenderContext,
} from "../../src/adapters/email/index.js";
import { readTemplates } from "../../src/adapters/templates.js";

type Received = { mail: ParsedMail; raw: string; rcpt: string[] };

/** An SMTP sink: recipients `reject-<code>@...` are refused with that code at RCPT TO. */
async function smtpSink(): Promise<{ server: SMTPServer; port: number; received: Received[]; next(to: string): Promise<Received> }> {
  const received: Received[] = [];
  const waiting = new Map<string, (r: Received) => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, cb: (err?: Error | null) => void) {
      const m = /^reject-(\d{3})@/.exec(address.address);
      if (!m) return cb();
      const e = new Error(m[1] === "550" ? "no such user" : "mailbox busy, try later") as Error & { responseCode: number };
      e.responseCode = Number(m[1]);
      cb(e);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const rcpt = (session.envelope.rcptTo as SMTPServerAddress[]).map((r) => r.address);
        simpleParser(raw).then((mail) => {
          const r = { mail, raw, rcpt };
          received.push(r);
          for (const to of rcpt) waiting.get(to)?.(r);
          cb();
        }, cb);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;
  const next = (to: string) => {
    const have = received.find((r) => r.rcpt.includes(to));
    return have ? Promise.resolve(have) : new Promise<Received>((resolve) => waiting.set(to, resolve));
  };
  return { server, port, received, next };
}

const rawHeader = (r: Received, name: string) => {
  const line = r.mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(":") + 1).replace(/\r?\n[ \t]+/g, " ").trim();
};

/** `label [url]` in a text part (html-to-text may wrap between the two at 78 columns). */
const link = (label: string, url: string) => new RegExp(`${label}\\s+\\[${url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\]`);

const secret = Buffer.from("0123456789abcdef0123456789abcdef", "utf8");
const dir = mkdtempSync(join(tmpdir(), "waymark-email-"));
let sink: Awaited<ReturnType<typeof smtpSink>>;
let mailer: Mailer;
let renderer: TemplateRenderer;

beforeAll(async () => {
  writeFileSync(join(dir, "welcome.liquid"), [
    "---",
    "subject: \"Welcome {{ contact.traits.firstName }} ({{ journey.stage }})\"",
    "preheader: Your first 15 minutes",
    "---",
    "<h1>Hi {{ contact.traits.firstName | default: \"there\" }}</h1>",
    "<p>Your {{ contact.traits.plan }} trial started with {{ event.name }} ({{ event.properties.days }} days).</p>",
    "<p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a></p>",
    "",
  ].join("\n"));
  writeFileSync(join(dir, "digest.mjml"), [
    "---",
    "subject: Your digest",
    "---",
    "<mjml><mj-body><mj-section><mj-column>",
    "<mj-text>Hello {{ contact.traits.firstName }}, stage {{ journey.stage }}</mj-text>",
    "<mj-button href=\"{{ unsubscribe_url }}\">Unsubscribe</mj-button>",
    "</mj-column></mj-section></mj-body></mjml>",
    "",
  ].join("\n"));
  writeFileSync(join(dir, "plain.liquid"), "---\nsubject: Plain\n---\nHi {{ contact.traits.firstName }},\n\nPlain & simple.\n\nUnsubscribe: {{ unsubscribe_url }}\n");
  writeFileSync(join(dir, "nosubject.liquid"), "<p>Hi</p>\n");
  writeFileSync(join(dir, "badmjml.mjml"), "---\nsubject: x\n---\nthis is not mjml at all\n");
  const { templates, problems } = await readTemplates(dir);
  expect(problems).toEqual([]);
  renderer = new TemplateRenderer(templates);
  sink = await smtpSink();
  mailer = createMailer(`smtp://127.0.0.1:${sink.port}`);
});

afterAll(async () => {
  mailer?.close();
  await new Promise<void>((resolve) => (sink ? sink.server.close(() => resolve()) : resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (contactId: string, traits: Record<string, unknown>): RenderContext => ({
  contact: { id: contactId, traits },
  event: { name: "Trial Started", properties: { days: 14 } },
  journey: { id: "trial", stage: "onboarding" },
  unsubscribe_url: unsubscribeUrl("https://waymark.example.com/", unsubscribeToken(secret, contactId)),
});

const FROM = "Northwind <hello@Northwind.example>";

async function sendRendered(template: string, to: string, c: RenderContext, effectId: string): Promise<Received> {
  const r = await renderer.render(template, c);
  const email: OutgoingEmail = {
    effectId, from: FROM, replyTo: "team@northwind.example", to, subject: r.subject, html: r.html, text: r.text,
    unsubscribeUrl: c.unsubscribe_url, contact: c.contact.id, journey: c.journey.id, template,
  };
  const info = await mailer.send(mailOptions(email, domainOf(email.from)));
  expect(info).toMatchObject({ accepted: true, messageId: `<${effectId}@northwind.example>` });
  expect(info.response).toMatch(/^250/);
  return sink.next(to);
}

describe("sending rendered templates over SMTP", () => {
  it("a Liquid template: headers, escaped traits in HTML, a text part, the preheader", async () => {
    expect(mailer.kind).toBe("smtp");
    const c = ctx("user-1", { firstName: "<script>alert(1)</script>", plan: "Pro" });
    const got = await sendRendered("welcome", "ada@example.com", c, "fx_welcome_1");
    const { mail } = got;
    expect(mail.from?.value).toEqual([{ name: "Northwind", address: "hello@northwind.example" }]);
    expect(mail.replyTo?.value[0]?.address).toBe("team@northwind.example");
    expect(mail.to && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined).toBe("ada@example.com");
    expect(mail.subject).toBe("Welcome <script>alert(1)</script> (onboarding)");
    expect(mail.messageId).toBe("<fx_welcome_1@northwind.example>");
    expect(rawHeader(got, "List-Unsubscribe")).toBe(`<${c.unsubscribe_url}>`);
    expect(rawHeader(got, "List-Unsubscribe-Post")).toBe("List-Unsubscribe=One-Click");
    expect(rawHeader(got, "X-Waymark-Effect")).toBe("fx_welcome_1");
    expect(rawHeader(got, "X-Waymark-Journey")).toBe("trial");
    expect(rawHeader(got, "X-Waymark-Template")).toBe("welcome");
    expect(got.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(mail.html).toContain("<h1>Hi &lt;script&gt;alert(1)&lt;/script&gt;</h1>");
    expect(mail.html).not.toContain("<script>");
    expect(mail.html).toContain("Your Pro trial started with Trial Started (14 days).");
    expect(mail.html).toMatch(/<body><div style="display:none[^"]*">Your first 15 minutes<\/div>/);
    expect(mail.text).toContain("Hi <script>alert(1)</script>");
    expect(mail.text).toMatch(link("Unsubscribe", c.unsubscribe_url));
    expect(mail.text).not.toContain("Your first 15 minutes");
    // The link in the email verifies back to this contact.
    expect(verifyUnsubscribeToken(secret, c.unsubscribe_url.split("/").pop()!)).toBe("user-1");
  });

  it("an MJML template is compiled to HTML after Liquid, with a text part", async () => {
    const c = ctx("user-2", { firstName: "Bo & <i>Co</i>" });
    const { mail } = await sendRendered("digest", "bo@example.com", c, "fx_digest_1");
    expect(mail.subject).toBe("Your digest");
    expect(mail.messageId).toBe("<fx_digest_1@northwind.example>");
    expect(mail.html).toMatch(/^<!doctype html>/i);
    expect(mail.html).not.toContain("<mj-");
    expect(mail.html).toContain("Hello Bo &amp; &lt;i&gt;Co&lt;/i&gt;, stage onboarding");
    expect(mail.html).toContain(`href="${c.unsubscribe_url}"`);
    expect(mail.text).toContain("Hello Bo & <i>Co</i>, stage onboarding");
    expect(mail.text).toMatch(link("Unsubscribe", c.unsubscribe_url));
  });

  it("a plain-text template keeps its text and gets a paragraph HTML part", async () => {
    const c = ctx("user-3", { firstName: "Cy <b>" });
    const { mail } = await sendRendered("plain", "cy@example.com", c, "fx_plain_1");
    expect(mail.text?.trim()).toBe(`Hi Cy <b>,\n\nPlain & simple.\n\nUnsubscribe: ${c.unsubscribe_url}`);
    expect(mail.html).toContain("<p>Hi Cy &lt;b&gt;,</p>");
    expect(mail.html).toContain("<p>Plain &amp; simple.</p>");
  });

  it("a long unsubscribe URL arrives unbroken in List-Unsubscribe", async () => {
    const id = `contact-${"x".repeat(150)}`;
    const c = ctx(id, {});
    expect(c.unsubscribe_url.length).toBeGreaterThan(250);
    const got = await sendRendered("plain", "long@example.com", c, "fx_long_1");
    expect(rawHeader(got, "List-Unsubscribe")).toBe(`<${c.unsubscribe_url}>`);
  });

  it("the step's subject wins and is Liquid; template errors name the template; no subject is the name", async () => {
    const r = await renderer.render("welcome", ctx("u", { plan: "pro" }), "Plan {{ contact.traits.plan | upcase }}\r\nBcc: x@y");
    expect(r.subject).toBe("Plan PRO Bcc: x@y");
    await expect(renderer.render("missing", ctx("u", {}))).rejects.toThrow(TemplateError);
    // No subject anywhere: the template's name in words (validate warns), not a failed send.
    expect((await renderer.render("nosubject", ctx("u", {}))).subject).toBe("Nosubject");
    await expect(renderer.render("badmjml", ctx("u", {}))).rejects.toMatchObject({ name: "TemplateError", template: "badmjml" });
  });
});

describe("a mailer without SMTP_URL", () => {
  it("accepts and sends nothing", async () => {
    const log = createMailer(undefined);
    try {
      expect(log.kind).toBe("log");
      const info = await log.send({ from: FROM, to: "x@example.com", subject: "s", text: "t", messageId: "<fx@northwind.example>" });
      expect(info).toMatchObject({ accepted: true, messageId: "<fx@northwind.example>" });
    } finally {
      log.close();
    }
  });
});

describe("unsubscribe tokens", () => {
  const tamper = (s: string, i: number) => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);

  it("round-trip", () => {
    for (const id of ["user-42", "ü@ñ.example", "a.b.c", "x".repeat(300)]) {
      expect(verifyUnsubscribeToken(secret, unsubscribeToken(secret, id))).toBe(id);
    }
    const t = unsubscribeToken(secret, "user-42");
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(unsubscribeUrl("https://w.example///", t)).toBe(`https://w.example/v1/unsubscribe/${t}`);
    expect(unsubscribeUrl("https://w.example/base", t)).toBe(`https://w.example/base/v1/unsubscribe/${t}`);
  });

  it("a tampered id or mac, another secret or garbage does not verify", () => {
    const t = unsubscribeToken(secret, "user-42");
    const [id, mac] = t.split(".") as [string, string];
    for (let i = 0; i < id.length; i++) expect(verifyUnsubscribeToken(secret, `${tamper(id, i)}.${mac}`)).toBeNull();
    for (let i = 0; i < mac.length; i++) expect(verifyUnsubscribeToken(secret, `${id}.${tamper(mac, i)}`)).toBeNull();
    expect(verifyUnsubscribeToken(secret, `${id}.${mac.slice(0, -1)}`)).toBeNull();
    expect(verifyUnsubscribeToken(secret, `${id}.${mac}A`)).toBeNull();
    expect(verifyUnsubscribeToken(Buffer.from("another secret of thirty-two b!!"), t)).toBeNull();
    for (const bad of ["", ".", "garbage", `${id}.`, `.${mac}`, `${id}.${mac}.x`, `${id}=.${mac}`, `${t} `]) {
      expect(verifyUnsubscribeToken(secret, bad)).toBeNull();
    }
  });

  it("a token of another contact does not verify as this contact", () => {
    const mine = unsubscribeToken(secret, "user-1");
    const theirs = unsubscribeToken(secret, "user-2");
    expect(verifyUnsubscribeToken(secret, theirs)).toBe("user-2");
    // Their mac with my id, and my mac with their id.
    const [myId, myMac] = mine.split(".");
    const [theirId, theirMac] = theirs.split(".");
    expect(verifyUnsubscribeToken(secret, `${myId}.${theirMac}`)).toBeNull();
    expect(verifyUnsubscribeToken(secret, `${theirId}.${myMac}`)).toBeNull();
  });
});

describe("domainOf", () => {
  it("reads the sender's domain, else waymark.local", () => {
    expect(domainOf("Northwind <hello@Example.com>")).toBe("example.com");
    expect(domainOf("\"Last, First\" <a@mail.example.org>")).toBe("mail.example.org");
    expect(domainOf("a@b.example")).toBe("b.example");
    expect(domainOf("nobody")).toBe("waymark.local");
    expect(domainOf("")).toBe("waymark.local");
    expect(domainOf("x <a@-bad-.example>")).toBe("waymark.local");
  });
});

describe("classifySmtpError", () => {
  const failure = async (m: Mailer, to: string) => {
    try {
      await m.send({ from: FROM, to, subject: "s", text: "t" });
    } catch (e) {
      return e;
    }
    throw new Error("the send did not fail");
  };

  it("a 550 at RCPT TO is permanent", async () => {
    const c = classifySmtpError(await failure(mailer, "reject-550@example.com"));
    expect(c).toMatchObject({ permanent: true, code: 550 });
    expect(c.message).toContain("no such user");
  });

  it("a 451 at RCPT TO is worth a retry", async () => {
    const c = classifySmtpError(await failure(mailer, "reject-451@example.com"));
    expect(c).toMatchObject({ permanent: false, code: 451 });
    expect(c.message).toContain("try later");
  });

  it("a refused connection is worth a retry", async () => {
    // A port that was just free: bind, read it, close.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const closed = createMailer(`smtp://127.0.0.1:${port}`);
    try {
      const err = await failure(closed, "x@example.com");
      expect(classifySmtpError(err)).toMatchObject({ permanent: false });
      expect(classifySmtpError(err).code).toBeUndefined();
    } finally {
      closed.close();
    }
  });

  it("authentication failures and unknown errors are retried too", () => {
    expect(classifySmtpError(Object.assign(new Error("Invalid login: 535 bad credentials"), { code: "EAUTH", responseCode: 535 })))
      .toMatchObject({ permanent: false, code: 535 });
    expect(classifySmtpError(Object.assign(new Error("Message failed: 554 spam"), { code: "EMESSAGE", responseCode: 554 })))
      .toMatchObject({ permanent: true, code: 554 });
    expect(classifySmtpError(new Error("boom"))).toEqual({ permanent: false, message: "boom" });
    expect(classifySmtpError("weird")).toEqual({ permanent: false, message: "weird" });
    expect(classifySmtpError(null)).toEqual({ permanent: false, message: "null" });
  });
});
