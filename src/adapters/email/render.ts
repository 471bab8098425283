/**
 * Renders email templates: Liquid (sandboxed) for the subject and body, MJML compiled to
 * HTML when the template is `.mjml`, and always a plain-text part. Trait values are
 * HTML-escaped in HTML bodies, so a contact's data cannot inject markup.
 */
import { convert } from "html-to-text";
import { Liquid, type Template as LiquidTemplate } from "liquidjs";
import mjml2html from "mjml";
import { createLiquid, type Template } from "../templates.js";

/** What a template sees. */
export type RenderContext = {
  contact: { id: string; traits: Record<string, unknown> };
  event: { name: string; properties: Record<string, unknown> } | null;
  journey: { id: string; stage: string };
  unsubscribe_url: string;
};

/** A rendered email. */
export type Rendered = { subject: string; html: string; text: string; preheader?: string };

/** A template that cannot be rendered (unknown, no subject, a Liquid or MJML error). */
export class TemplateError extends Error {
  constructor(readonly template: string, message: string) {
    super(`template "${template}": ${message}`);
    this.name = "TemplateError";
  }
}

const ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITY[c]!);
const looksHtml = (s: string) => /<\/?[a-z][\s\S]*?>/i.test(s);

/** Renders the templates of one deployment (each parsed once). */
export class TemplateRenderer {
  private readonly byName: Map<string, Template>;
  private readonly plain: Liquid;
  private readonly escaped: Liquid;
  private readonly parsed = new Map<string, LiquidTemplate[]>();

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

  /** Renders `name`; `subjectOverride` (the step's `subject`, also Liquid) wins over the front matter. */
  async render(name: string, ctx: RenderContext, subjectOverride?: string): Promise<Rendered> {
    const t = this.byName.get(name);
    if (!t) throw new TemplateError(name, "no such template in the templates folder");
    const subjectSrc = subjectOverride ?? t.subject;
    if (subjectSrc === undefined) throw new TemplateError(name, "no subject: add `subject:` to its front matter or to the email step");
    try {
      const subject = (await this.plain.render(this.parse(this.plain, `s\u0000${subjectSrc}`, subjectSrc), ctx) as string).replace(/[\r\n]+/g, " ").trim();
      const isHtml = t.kind === "mjml" || looksHtml(t.body);
      const engine = isHtml ? this.escaped : this.plain;
      const body = await engine.render(this.parse(engine, `${isHtml ? "h" : "t"}\u0000${name}`, t.body), ctx) as string;
      let html: string;
      let text: string;
      if (t.kind === "mjml") {
        const out = await mjml2html(body, { validationLevel: "soft" });
        if (!out.html) throw new Error(`MJML: ${out.errors.map((e) => e.formattedMessage).join("; ")}`);
        html = out.html;
        text = toText(html);
      } else if (isHtml) {
        html = /<html[\s>]/i.test(body) ? body : `<!doctype html><html><head><meta charset="utf-8"></head><body>${body}</body></html>`;
        text = toText(html);
      } else {
        text = body.trim();
        html = `<!doctype html><html><head><meta charset="utf-8"></head><body>${text.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, "<br>")}</p>`).join("\n")}</body></html>`;
      }
      const preheader = t.preheader;
      if (preheader) html = html.replace(/<body([^>]*)>/i, `<body$1><div style="display:none;max-height:0;overflow:hidden">${escapeHtml(preheader)}</div>`);
      return { subject, html, text, ...(preheader ? { preheader } : {}) };
    } catch (e) {
      if (e instanceof TemplateError) throw e;
      throw new TemplateError(name, (e as Error).message.split("\n")[0]!);
    }
  }
}

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
