/**
 * A Waymark server wired to real receivers for the action tests: the journeys of
 * `tests/fixtures/actions`, an SMTP sink and a webhook receiver, with short retry
 * schedules so retries and dead letters happen within a test.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { compile } from "../../src/core/index.js";
import { loadJourneyFolder } from "../../src/adapters/journey-files.js";
import { basic, post, startServer, WRITE_KEY, type TestServer } from "./server.js";
import { HookReceiver, SmtpSink } from "./receivers.js";

/** A server with its receivers. */
export type ActionServer = {
  s: TestServer; smtp: SmtpSink; hooks: HookReceiver;
  /** The endpoints' Standard Webhooks secret (`whsec_...`). */
  secret: string;
  /** Sends Segment messages through the ingest API. */
  send(...messages: object[]): Promise<void>;
  close(): Promise<void>;
};

/** Builds a track message. */
export const track = (userId: string, event: string, properties: object = {}) =>
  ({ type: "track", userId, event, properties, messageId: randomUUID(), timestamp: new Date().toISOString() });

/** Builds an identify message. */
export const identify = (userId: string, traits: object) =>
  ({ type: "identify", userId, traits, messageId: randomUUID(), timestamp: new Date().toISOString() });

/** Starts the receivers and a server whose endpoints point at them. */
export async function actionServer(o: { env?: Record<string, string>; noWorker?: boolean } = {}): Promise<ActionServer> {
  const smtp = new SmtpSink();
  const smtpUrl = await smtp.start();
  const hooks = new HookReceiver();
  const base = await hooks.start();
  const secret = `whsec_${randomBytes(24).toString("base64")}`;
  const env = { CRM_URL: `${base}/crm`, MANAGER_URL: `${base}/manager`, ADS_URL: `${base}/ads`, CRM_SECRET: secret, ADS_SECRET: secret };
  const folder = await loadJourneyFolder("tests/fixtures/actions", { env, requireEnv: true });
  if (!folder.ok) throw new Error(folder.problems.map((p) => p.message).join("\n"));
  const s = await startServer({
    compiled: compile(folder.definitions), workspace: folder.definitions.workspace, templates: folder.templates,
    ...(o.noWorker ? { noWorker: true } : {}),
    env: {
      SMTP_URL: smtpUrl, WAYMARK_WEBHOOK_RETRIES: "0,200ms,200ms", WAYMARK_EMAIL_ATTEMPTS: "3", WAYMARK_EMAIL_BACKOFF_MS: "100",
      WAYMARK_AUDIENCE_WAIT_MS: "200", WAYMARK_PUBLIC_URL: "https://waymark.tests.example", ...o.env,
    },
  });
  return {
    s, smtp, hooks, secret,
    async send(...messages) {
      const r = await post(`${s.base}/v1/batch`, { batch: messages }, { authorization: basic(WRITE_KEY) });
      if (r.status !== 200) throw new Error(`batch: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async close() {
      await Promise.all([smtp.close(), hooks.close()]);
    },
  };
}

/** The path and query of a link (the tests reach the server on its real port, not the public URL). */
export function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
