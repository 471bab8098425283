// Email rendering and unsubscribe tokens, on real template files: Liquid escaping in HTML,
// MJML compiled to HTML, plain-text templates, subjects, preheaders, errors.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TemplateError, TemplateRenderer, unsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken, domainOf, mailOptions, classifySmtpError } from "../../src/adapters/email/index.js";
import { readTemplates } from "../../src/adapters/templates.js";

async function renderer(files: Record<string, string>): Promise<TemplateRenderer> {
  const dir = mkdtempSync(join(tmpdir(), "waymark-tpl-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const { templates, problems } = await readTemplates(dir);
  expect(problems).toEqual([]);
  return new TemplateRenderer(templates);
}

const ctx = {
  contact: { id: "c1", traits: { firstName: "<script>alert(1)</script>", plan: "pro" } },
  event: { name: "Trial Started", properties: { days: 14 } },
  journey: { id: "trial", stage: "awareness" },
  unsubscribe_url: "https://w.example/v1/unsubscribe/t",
};

describe("TemplateRenderer", () => {
  it("escapes trait values in HTML bodies but not in the subject or the text part", async () => {
    const r = await renderer({ "hi.liquid": "---\nsubject: \"Hi {{ contact.traits.firstName }}\"\npreheader: Two weeks\n---\n<p>Hello {{ contact.traits.firstName }} on {{ contact.traits.plan }} ({{ event.properties.days }} days)</p>\n<a href=\"{{ unsubscribe_url }}\">unsubscribe</a>\n" });
    const out = await r.render("hi", ctx);
    expect(out.subject).toBe("Hi <script>alert(1)</script>");
    expect(out.html).toContain("Hello &lt;script&gt;alert(1)&lt;/script&gt; on pro (14 days)");
    expect(out.html).not.toContain("<script>");
    expect(out.html).toMatch(/<body><div style="display:none[^"]*">Two weeks<\/div>/);
    expect(out.text).toContain("Hello <script>alert(1)</script> on pro (14 days)");
    expect(out.text).toContain("unsubscribe [https://w.example/v1/unsubscribe/t]");
    expect(out.text).not.toContain("Two weeks");
  });

  it("compiles MJML to HTML after Liquid, with a text part", async () => {
    const r = await renderer({ "m.mjml": "---\nsubject: MJML\n---\n<mjml><mj-body><mj-section><mj-column><mj-text>Stage {{ journey.stage }}</mj-text><mj-button href=\"{{ unsubscribe_url }}\">Go</mj-button></mj-column></mj-section></mj-body></mjml>\n" });
    const out = await r.render("m", ctx);
    expect(out.html).toMatch(/^<!doctype html>/i);
    expect(out.html).toContain("Stage awareness");
    expect(out.html).not.toContain("<mj-");
    expect(out.text).toContain("Stage awareness");
  });

  it("a plain-text body becomes paragraphs; the step's subject wins and is Liquid too", async () => {
    const r = await renderer({ "t.liquid": "---\nsubject: ignored\n---\nLine one {{ contact.id }}\n\nLine & two\n" });
    const out = await r.render("t", ctx, "For {{ contact.traits.plan | upcase }}");
    expect(out.subject).toBe("For PRO");
    expect(out.text).toBe("Line one c1\n\nLine & two");
    expect(out.html).toContain("<p>Line one c1</p>");
    expect(out.html).toContain("<p>Line &amp; two</p>");
  });

  it("names the template in errors: unknown", async () => {
    const r = await renderer({ "nosub.liquid": "Hi\n" });
    await expect(r.render("missing", ctx)).rejects.toThrow(TemplateError);
    await expect(r.render("missing", ctx)).rejects.toThrow(/template "missing"/);
  });

  it("a template without a subject, used by a step without one, goes out as its name in words", async () => {
    const r = await renderer({ "trial-day_3.liquid": "Hi {{ contact.id }}\n" });
    const out = await r.render("trial-day_3", ctx);
    expect([out.subject, out.text]).toEqual(["Trial day 3", "Hi c1"]);
    expect((await r.render("trial-day_3", ctx, "Day {{ 1 | plus: 2 }}")).subject).toBe("Day 3");
  });
});

describe("unsubscribe tokens", () => {
  const secret = Buffer.from("0123456789abcdef0123456789abcdef");
  it("round-trip and cannot be forged for another contact or with another secret", () => {
    const t = unsubscribeToken(secret, "user-42");
    expect(verifyUnsubscribeToken(secret, t)).toBe("user-42");
    const [, mac] = t.split(".");
    expect(verifyUnsubscribeToken(secret, `${Buffer.from("user-43").toString("base64url")}.${mac}`)).toBeNull();
    expect(verifyUnsubscribeToken(Buffer.from("another secret of thirty-two b!"), t)).toBeNull();
    expect(verifyUnsubscribeToken(secret, `${t.slice(0, -2)}xx`)).toBeNull();
    expect(verifyUnsubscribeToken(secret, "garbage")).toBeNull();
    expect(unsubscribeUrl("https://w.example/", t)).toBe(`https://w.example/v1/unsubscribe/${t}`);
  });
});

describe("messages and SMTP errors", () => {
  it("uses the effect id as Message-ID at the sender's domain, with RFC 8058 headers", () => {
    expect(domainOf("Northwind <hello@Example.com>")).toBe("example.com");
    expect(domainOf("nobody")).toBe("waymark.local");
    const m = mailOptions({ effectId: "fx_1", from: "a@b.example", to: "c@d.example", subject: "s", html: "<p>h</p>", text: "h",
      unsubscribeUrl: "https://u.example/x", contact: "c", journey: "j", template: "t" }, "b.example");
    expect(m.messageId).toBe("<fx_1@b.example>");
    expect(m.headers).toMatchObject({ "List-Unsubscribe": "<https://u.example/x>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" });
  });

  it("classifies 5xx replies as permanent, 4xx and connection errors as retryable", () => {
    expect(classifySmtpError(Object.assign(new Error("550 no such user"), { responseCode: 550 }))).toMatchObject({ permanent: true, code: 550 });
    expect(classifySmtpError(Object.assign(new Error("451 later"), { responseCode: 451 }))).toMatchObject({ permanent: false, code: 451 });
    expect(classifySmtpError(Object.assign(new Error("connect ECONNREFUSED"), { code: "ESOCKET" }))).toMatchObject({ permanent: false });
  });
});
