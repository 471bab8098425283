/**
 * Email: rendering, the SMTP message, the transport and unsubscribe tokens.
 */
export { TemplateError, TemplateRenderer, type RenderContext, type Rendered } from "./render.js";
export { domainOf, mailOptions, parseMailboxes, type Mailbox, type OutgoingEmail } from "./message.js";
export { classifySmtpError, createMailer, type Mailer, type SendResult } from "./transport.js";
export { unsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from "./unsubscribe-token.js";
