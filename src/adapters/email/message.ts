/**
 * The SMTP message of an email effect: a stable Message-ID (the effect id), RFC 8058
 * one-click unsubscribe headers, and headers naming the journey and template.
 */
import type { SendMailOptions } from "nodemailer";

/** An email ready to send. */
export type OutgoingEmail = {
  effectId: string; from: string; replyTo?: string; to: string; subject: string; html: string; text: string;
  unsubscribeUrl: string; contact: string; journey: string; template: string;
};

/** The domain of an address (`Name <a@b>` or `a@b`), for Message-IDs. */
export function domainOf(address: string): string {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(address.trim());
  return m?.[1]?.toLowerCase() ?? "waymark.local";
}

/** nodemailer options for `e`: a redelivery after a crash carries the same Message-ID. */
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
