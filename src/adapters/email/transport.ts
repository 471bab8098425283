/**
 * The mail transport: nodemailer's pooled SMTP transport over `SMTP_URL`, or, without
 * one, a transport that renders and accepts without sending (for demos). SMTP errors are
 * classified: 5xx replies to a message are permanent, everything else is worth a retry.
 */
import nodemailer, { type SendMailOptions } from "nodemailer";

/** What a send reports: whether every recipient was accepted, the server's reply, the Message-ID. */
export type SendResult = { accepted: boolean; response: string; messageId: string };

/** Sends messages over one transport (pooled connections for SMTP). */
export type Mailer = {
  /** `smtp` sends for real; `log` accepts and sends nothing. */
  kind: "smtp" | "log";
  /** Sends one message; rejects with nodemailer's error (see {@link classifySmtpError}). */
  send(opts: SendMailOptions): Promise<SendResult>;
  /** Closes pooled connections (a message in flight finishes first). */
  close(): void;
};

/**
 * A mailer over `smtpUrl` (`smtp://` or `smtps://`, with auth and `?tls...` options in the
 * URL as nodemailer reads them; settings in the URL win), or a log-only one when undefined.
 */
export function createMailer(smtpUrl: string | undefined): Mailer {
  if (!smtpUrl) {
    const transport = nodemailer.createTransport({ jsonTransport: true });
    return {
      kind: "log",
      async send(opts) {
        const info = await transport.sendMail(opts);
        return { accepted: true, response: "logged (no SMTP_URL)", messageId: info.messageId };
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({
    url: smtpUrl, pool: true, maxConnections: 5, maxMessages: 100,
    connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000,
  });
  return {
    kind: "smtp",
    async send(opts) {
      const info = await transport.sendMail(opts);
      const accepted = info.accepted.length > 0 && info.rejected.length === 0;
      return { accepted, response: String(info.response ?? ""), messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}

/**
 * Failures of the connection or the account rather than of one message: retried even
 * when the server answered 5xx (a wrong password must not drop every queued email).
 */
const NOT_THE_MESSAGE: ReadonlySet<string> = new Set(["EAUTH", "ENOAUTH", "EOAUTH2", "ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ETLS", "EPROXY", "ECONFIG"]);

/**
 * Whether an SMTP failure is permanent (a 5xx reply to the envelope or the message) or
 * worth another attempt (4xx, connection, TLS, authentication and unknown errors).
 */
export function classifySmtpError(err: unknown): { permanent: boolean; code?: number; message: string } {
  const e = (typeof err === "object" && err !== null ? err : {}) as { responseCode?: unknown; code?: unknown; message?: unknown; response?: unknown };
  // nodemailer's message already ends with the server's reply ("...: 550 5.1.1 no such user").
  const raw = typeof e.message === "string" && e.message ? e.message : typeof e.response === "string" ? e.response : String(err);
  const message = raw.replace(/\s+/g, " ").trim();
  const n = typeof e.responseCode === "number" ? e.responseCode : typeof e.responseCode === "string" ? Number.parseInt(e.responseCode, 10) : NaN;
  const code = Number.isInteger(n) && n >= 200 && n < 600 ? n : undefined;
  const permanent = code !== undefined && code >= 500 && !(typeof e.code === "string" && NOT_THE_MESSAGE.has(e.code));
  return { permanent, ...(code !== undefined ? { code } : {}), message };
}
