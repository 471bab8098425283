/**
 * Real receivers for the action tests: an in-process SMTP server (smtp-server) whose
 * messages are parsed with mailparser, and an HTTP server standing in for webhook
 * endpoints. Each can be told how to answer, to test retries, rejections and 410s.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { simpleParser, type ParsedMail } from "mailparser";
import { SMTPServer } from "smtp-server";

/** A raw header's value (unfolded), as it was sent. */
export function rawHeader(r: Received, name: string): string | undefined {
  const line = r.mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(":") + 1).replace(/\r?\n\s+/g, " ").trim();
}

/** A message the SMTP sink accepted. */
export type Received = { mail: ParsedMail; raw: string; rcpt: string[] };

/** An SMTP server on 127.0.0.1; `reject` decides per recipient: a reply code to refuse with, or null. */
export class SmtpSink {
  readonly received: Received[] = [];
  /** Recipients refused so far (every attempt). */
  readonly refused: { rcpt: string; code: number }[] = [];
  reject: (rcpt: string) => number | null = () => null;
  /** Runs before a message is accepted (the client waits for it). */
  beforeAccept: (mail: ParsedMail) => Promise<void> = async () => {};
  private server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true, disabledCommands: ["STARTTLS"], logger: false,
      onRcptTo: (addr, _s, cb) => {
        const code = this.reject(addr.address);
        if (code === null) return cb();
        this.refused.push({ rcpt: addr.address, code });
        const e = new Error(code >= 500 ? "mailbox unavailable" : "try again later") as Error & { responseCode: number };
        e.responseCode = code;
        cb(e);
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          simpleParser(raw).then(async (mail) => {
            await this.beforeAccept(mail);
            this.received.push({ mail, raw, rcpt: session.envelope.rcptTo.map((r) => r.address) });
          }).then(() => cb(), cb);
        });
      },
    });
  }

  async start(): Promise<string> {
    this.server.on("error", () => undefined); // a client that drops its connection is not the sink's failure
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    this.port = ((this.server as unknown as { server: Server }).server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Messages sent to `address`. */
  to(address: string): Received[] {
    return this.received.filter((m) => m.rcpt.includes(address));
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** A request a webhook receiver got. */
export type Hook = { path: string; headers: Record<string, string>; body: string; at: number };

/** An HTTP server standing in for webhook endpoints; `answer` decides each reply. */
export class HookReceiver {
  readonly hooks: Hook[] = [];
  answer: (h: Hook, res: ServerResponse) => void = (_h, res) => { res.writeHead(204).end(); };
  private server: Server;
  url = "";

  constructor() {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        const h = { path: req.url ?? "/", headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() };
        this.hooks.push(h);
        this.answer(h, res);
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Requests to `path` whose body has `type`. */
  of(path: string, type?: string): Hook[] {
    return this.hooks.filter((h) => h.path === path && (type === undefined || (JSON.parse(h.body) as { type: string }).type === type));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
