/**
 * The SMTP message of an email effect: a stable Message-ID (the effect id), RFC 8058
 * one-click unsubscribe headers, and headers naming the effect, journey and template.
 */
import type { SendMailOptions } from "nodemailer";
import addressparser from "nodemailer/lib/addressparser";

/** A mailbox as nodemailer takes it (a parsed one is not parsed again). */
export type Mailbox = { name: string; address: string };

/** An email ready to send: addresses, rendered content and what it belongs to. */
export type OutgoingEmail = {
  effectId: string; from: string | Mailbox; replyTo?: string; to: string | Mailbox; subject: string; html: string; text: string;
  unsubscribeUrl: string; contact: string; journey: string; template: string;
};

const FALLBACK_DOMAIN = "waymark.local";
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * The domain of an address (`Name <a@b>`, `"Last, First" <a@b>` or `a@b`), lower-cased,
 * for Message-IDs; `waymark.local` when there is none.
 */
export function domainOf(address: string | Mailbox): string {
  const mailbox = typeof address === "string" ? (parseMailboxes(address)[0]?.address ?? "") : address.address;
  const at = mailbox.lastIndexOf("@");
  const domain = at >= 0 ? mailbox.slice(at + 1).trim().toLowerCase() : "";
  return DOMAIN.test(domain) ? domain : FALLBACK_DOMAIN;
}

/**
 * The mailboxes an address field names (nodemailer's parser; groups give their members),
 * empty when it does not parse.
 */
export function parseMailboxes(field: string): Mailbox[] {
  try {
    return addressparser(field, { flatten: true }).flatMap((a) => ("address" in a && a.address.includes("@") ? [{ name: a.name, address: a.address }] : []));
  } catch {
    return [];
  }
}

/**
 * nodemailer options for `e`. The Message-ID is `<effectId@messageDomain>`, so a
 * redelivery after a crash carries the same Message-ID; `List-Unsubscribe` and
 * `List-Unsubscribe-Post` make the unsubscribe link one-click (RFC 8058).
 */
export function mailOptions(e: OutgoingEmail, messageDomain: string): SendMailOptions {
  return {
    // Copies: nodemailer normalises the address objects it is given in place.
    from: typeof e.from === "string" ? e.from : { ...e.from }, to: typeof e.to === "string" ? e.to : { ...e.to }, ...(e.replyTo ? { replyTo: e.replyTo } : {}), subject: e.subject, html: e.html, text: e.text,
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
