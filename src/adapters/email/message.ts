/**
 * The SMTP message of an email effect: a stable Message-ID (the effect id), RFC 8058
 * one-click unsubscribe headers, and headers naming the effect, journey and template.
 */
import type { SendMailOptions } from "nodemailer";
import addressparser from "nodemailer/lib/addressparser";

/** An email ready to send: addresses, rendered content and what it belongs to. */
export type OutgoingEmail = {
  effectId: string; from: string; replyTo?: string; to: string; subject: string; html: string; text: string;
  unsubscribeUrl: string; contact: string; journey: string; template: string;
};

const FALLBACK_DOMAIN = "waymark.local";
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * The domain of an address (`Name <a@b>`, `"Last, First" <a@b>` or `a@b`), lower-cased,
 * for Message-IDs; `waymark.local` when there is none.
 */
export function domainOf(address: string): string {
  let mailbox = "";
  try {
    const first = addressparser(address, { flatten: true })[0];
    mailbox = first && "address" in first ? first.address : "";
  } catch {
    mailbox = "";
  }
  const at = mailbox.lastIndexOf("@");
  const domain = at >= 0 ? mailbox.slice(at + 1).trim().toLowerCase() : "";
  return DOMAIN.test(domain) ? domain : FALLBACK_DOMAIN;
}

/**
 * nodemailer options for `e`. The Message-ID is `<effectId@messageDomain>`, so a
 * redelivery after a crash carries the same Message-ID; `List-Unsubscribe` and
 * `List-Unsubscribe-Post` make the unsubscribe link one-click (RFC 8058).
 */
export function mailOptions(e: OutgoingEmail, messageDomain: string): SendMailOptions {
  return {
    from: e.from, to: e.to, ...(e.replyTo ? { replyTo: e.replyTo } : {}), subject: e.subject, html: e.html, text: e.text,
    messageId: `<${e.effectId}@${messageDomain}>`,
    headers: {
      "List-Unsubscribe": `<${e.unsubscribeUrl}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "X-Waymark-Effect": e.effectId,
      "X-Waymark-Journey": e.journey,
      "X-Waymark-Template": e.template,
    },
  };
}
