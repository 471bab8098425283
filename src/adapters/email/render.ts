/**
 * Renders email templates: Liquid (sandboxed) for the subject and body, MJML compiled to
 * HTML when the template is `.mjml`, and always a plain-text part. Output in HTML bodies
 * is HTML-escaped, so a contact's traits or an event's properties cannot inject markup.
 */
import { convert } from "html-to-text";
import type { Liquid, Template as LiquidTemplate } from "liquidjs";
import mjml2html from "mjml";
import { defaultSubject } from "../../core/index.js";
import { createLiquid, type Template } from "../templates.js";

/** What a template sees. */
export type RenderContext = {
  contact: { id: string; traits: Record<string, unknown> };
  event: { name: string; properties: Record<string, unknown> } | null;
  journey: { id: string; stage?: string };
  unsubscribe_url: string;
};

/** A rendered email: a one-line subject, an HTML part and a plain-text part. */
export type Rendered = { subject: string; html: string; text: string; preheader?: string };

/** A template that cannot be rendered (unknown, a Liquid or MJML error). */
export class TemplateError extends Error {
  /** @param template the template's name; the message is prefixed with it. */
  constructor(readonly template: string, message: string) {
    super(`template "${template}": ${message}`);
    this.name = "TemplateError";
  }
}

const ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITY[c]!);
/** An opening or closing tag, a comment or a doctype (not `<a@b.example>` or `a < b`). */
const HTML_TAG = /<(?:[a-z][a-z0-9-]*(?:\s[^<>]*)?\/?|\/[a-z][a-z0-9-]*\s*|!--[\s\S]*?--|!doctype[^<>]*)>/i;
const document = (body: string) => `<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`;
/** MJML options; includes stay off (a template must not read files). */
const MJML_OPTIONS = { validationLevel: "soft", ignoreIncludes: true } as const;

/**
 * Renders the templates of one deployment. Each template's Liquid is parsed once, on first
 * use, and kept for the renderer's lifetime (build a new renderer when templates change).
 */
export class TemplateRenderer {
  private readonly byName: Map<string, Template>;
  private readonly plain: Liquid;
  private readonly escaped: Liquid;
  private readonly parsed = new Map<string, LiquidTemplate[]>();

  /** @param templates the templates as read by `readTemplates`. */
  constructor(templates: Template[]) {
    this.byName = new Map(templates.map((t) => [t.name, t]));
    this.plain = createLiquid();
    this.escaped = createLiquid({ outputEscape: "escape" });
  }

  private parse(engine: Liquid, key: string, src: string): LiquidTemplate[] {
    let p = this.parsed.get(key);
    if (!p) this.parsed.set(key, (p = engine.parse(src)));
    return p;
  }

  /**
   * Renders `name` for `ctx`. The subject is `subjectOverride` (the step's `subject`, also
   * Liquid) when given, else the front matter's; it is plain text on one line. A body with
   * HTML tags (or any MJML) is HTML with escaped output; any other body is plain text.
   * @throws TemplateError for an unknown template or a Liquid/MJML error.
   */
  async render(name: string, ctx: RenderContext, subjectOverride?: string): Promise<Rendered> {
    const t = this.byName.get(name);
    if (!t) throw new TemplateError(name, "no such template in the templates folder");
    // Neither gives one (validate warns): the template's name, so the email still goes out, as simulate records it.
    const subjectSrc = subjectOverride ?? t.subject ?? defaultSubject(name);
    try {
      const subjectOut = await this.plain.render(this.parse(this.plain, `s\u0000${subjectSrc}`, subjectSrc), ctx) as string;
      const subject = subjectOut.replace(/[\r\n]+/g, " ").trim();
      // Decided on the template's source, so a trait value cannot switch the mode.
      const isHtml = t.kind === "mjml" || HTML_TAG.test(t.body);
      const engine = isHtml ? this.escaped : this.plain;
      const body = await engine.render(this.parse(engine, `${isHtml ? "h" : "t"}\u0000${name}`, t.body), ctx) as string;
      let html: string;
      let text: string;
      if (t.kind === "mjml") {
        const out = await mjml2html(body, { ...MJML_OPTIONS, filePath: t.file });
        if (!out.html) throw new Error(`MJML: ${out.errors.map((e) => e.formattedMessage).join("; ") || "no HTML produced"}`);
        html = out.html;
        text = toText(html);
      } else if (isHtml) {
        html = /<html[\s>]/i.test(body) ? body : document(body);
        text = toText(html);
      } else {
        text = body.replace(/\r\n?/g, "\n").trim();
        html = document(text.split(/\n(?:[ \t]*\n)+/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`).join("\n"));
      }
      const preheader = t.preheader;
      if (preheader) html = withPreheader(html, preheader);
      return { subject, html, text, ...(preheader ? { preheader } : {}) };
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw new TemplateError(name, String((e as Error)?.message ?? e).split("\n")[0]!);
    }
  }
}

/** Puts `preheader` in a hidden div at the start of the body (inbox preview text). */
function withPreheader(html: string, preheader: string): string {
  const div = `<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all">${escapeHtml(preheader)}</div>`;
  const body = /<body[^>]*>/i.exec(html);
  return body ? html.slice(0, body.index + body[0].length) + div + html.slice(body.index + body[0].length) : div + html;
}

/** The plain-text part of an HTML body: wrapped at 78, links as `text [url]`. */
function toText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: "a", options: { linkBrackets: ["[", "]"], hideLinkHrefIfSameAsText: true } },
      { selector: "img", format: "skip" },
      { selector: "div", format: "block" },
      ...["h1", "h2", "h3", "h4", "h5", "h6"].map((h) => ({ selector: h, options: { uppercase: false } })),
    ],
  }).trim();
}
