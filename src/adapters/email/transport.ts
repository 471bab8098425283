/**
 * The mail transport: nodemailer's pooled SMTP transport over `SMTP_URL`, or, without
 * one, a transport that renders and accepts without sending (for demos). SMTP errors are
 * classified: 5xx replies are permanent, everything else is worth a retry.
 */
import nodemailer, { type SendMailOptions } from "nodemailer";

/** Sends messages. */
export type Mailer = {
  kind: "smtp" | "log";
  send(opts: SendMailOptions): Promise<{ response: string; messageId: string }>;
  close(): void;
};

/** A mailer over `smtpUrl` (pooled), or a log-only one when it is undefined. */
export function createMailer(smtpUrl: string | undefined): Mailer {
  const transport = smtpUrl
    ? nodemailer.createTransport({
      url: smtpUrl, pool: true, maxConnections: 5, maxMessages: 100,
      connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000,
    } as unknown as Parameters<typeof nodemailer.createTransport>[0])
    : nodemailer.createTransport({ jsonTransport: true });
  return {
    kind: smtpUrl ? "smtp" : "log",
    async send(opts) {
      const info = (await transport.sendMail(opts)) as { response?: string; messageId: string };
      return { response: String(info.response ?? "accepted"), messageId: info.messageId };
    },
    close() {
      transport.close();
    },
  };
}

/** Whether an SMTP failure is permanent (a 5xx reply) or worth another attempt. */
export function classifySmtpError(err: unknown): { permanent: boolean; code?: number; message: string } {
  const e = err as { responseCode?: number; code?: string; message?: string; response?: string };
  const message = (e.response ?? e.message ?? String(err)).replace(/\s+/g, " ").trim();
  const code = typeof e.responseCode === "number" ? e.responseCode : undefined;
  return { permanent: code !== undefined && code >= 500 && code < 600, ...(code !== undefined ? { code } : {}), message };
}
