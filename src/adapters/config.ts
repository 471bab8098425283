/**
 * Configuration: parsed once from the environment by a zod schema, then passed down.
 * A bad or missing value stops the process with a message naming the variable.
 */
import { z } from "zod";
import { DEFAULT_SCHEDULE, parseSchedule } from "./webhooks/schedule.js";

const csv = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean));

/** A URL with one of `protocols` and a host (`new URL` alone takes `redis:x` or `smtp:`). */
const hostUrl = (protocols: string[], error: string) => z.string().refine((s) => {
  try {
    const u = new URL(s);
    return protocols.includes(u.protocol.slice(0, -1)) && u.hostname !== "";
  } catch {
    return false;
  }
}, { error });
/** A TCP port: decimal digits only (`0x10` or `1e3` are typos, not ports). */
const port = z.string().regex(/^\d{1,5}$/, "expected a port number (0-65535)").transform(Number).pipe(z.number().max(65535, "expected a port number (0-65535)"));
const int = (def: number) => z.coerce.number().int().positive().default(def);

/** The environment Waymark reads (contract section 10, plus tuning knobs). */
export const Config = z.object({
  REDIS_URL: hostUrl(["redis", "rediss"], "expected a redis:// or rediss:// URL with a host (redis://127.0.0.1:6379)").default("redis://127.0.0.1:6379"),
  WAYMARK_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only").default("waymark"),
  PORT: port.default(3000),
  WAYMARK_JOURNEYS: z.string().trim().min(1, "expected a folder").default("./journeys"),
  WAYMARK_WRITE_KEYS: csv.default([]),
  /** Any non-empty token is taken; one shorter than ADMIN_TOKEN_ADVISED is warned about at start. */
  WAYMARK_ADMIN_TOKEN: z.string().optional(),
  SMTP_URL: hostUrl(["smtp", "smtps"], "expected an smtp:// or smtps:// URL with a host").optional(),
  WAYMARK_PUBLIC_URL: hostUrl(["http", "https"], "expected the http:// or https:// address people reach the engine at (links in emails and hand-offs)").optional(),
  /** Reject ingest with 429 past this many messages waiting in inboxes. */
  WAYMARK_MAX_BACKLOG: int(200_000),
  /** Journal records kept per contact. */
  WAYMARK_JOURNAL_MAX: int(1_000),
  /** Records kept in the global stream for dashboards. */
  WAYMARK_STREAM_MAX: int(100_000),
  /** Concurrent contacts per worker process. */
  WAYMARK_WORKER_CONCURRENCY: int(64),
  /** Inputs evaluated per contact per commit. */
  WAYMARK_BATCH: int(100),
  /** Seconds a worker holds a job's lock; a crashed worker's jobs run again after about this long. */
  WAYMARK_LOCK_SECONDS: int(30),
  /** Seconds to finish in-flight work on SIGTERM. */
  WAYMARK_SHUTDOWN_SECONDS: int(10),
  /** Signs unsubscribe and acknowledgement links; default: a random secret kept in Redis. */
  WAYMARK_SECRET: z.string().min(32, "use at least 32 characters").optional(),
  /** Email attempts before a dead letter, and the first retry delay (doubling). */
  WAYMARK_EMAIL_ATTEMPTS: int(8),
  WAYMARK_EMAIL_BACKOFF_MS: int(1_000),
  /** Webhook retry schedule: the delay before each attempt (Standard Webhooks' by default). */
  WAYMARK_WEBHOOK_RETRIES: z.string().default(DEFAULT_SCHEDULE).transform((s, ctx) => {
    try {
      return parseSchedule(s);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
      return z.NEVER;
    }
  }),
  /**
   * How long a wake-up that was already overdue when scheduled (its instant passed: a
   * backfill, a replay, messages sent one by one for the past) waits before it is evaluated,
   * so that the contact's next messages are evaluated first, in timestamp order (ms; 0:
   * evaluated at once, in the drain that made it overdue).
   */
  WAYMARK_OVERDUE_WAKE_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(2_000),
  /** Concurrent emails and webhooks per worker process. */
  WAYMARK_ACTION_CONCURRENCY: int(8),
  /** Audience changes per `audience.changed` webhook, and the longest a change waits (ms). */
  WAYMARK_AUDIENCE_BATCH: int(1_000),
  WAYMARK_AUDIENCE_WAIT_MS: int(5_000),
  /** `waymark worker` serves /healthz, /readyz and /metrics on this port when set. */
  WAYMARK_METRICS_PORT: port.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type Config = z.infer<typeof Config>;

/** The shortest admin token that is not warned about (a bearer token guessable by brute force is no guard). */
export const ADMIN_TOKEN_ADVISED = 16;

/** Warnings about values that are taken but unwise. */
export function configWarnings(c: Config): string[] {
  const t = c.WAYMARK_ADMIN_TOKEN;
  return t !== undefined && t.length < ADMIN_TOKEN_ADVISED
    ? [`WAYMARK_ADMIN_TOKEN is ${t.length} characters: use ${ADMIN_TOKEN_ADVISED} or more (e.g. openssl rand -hex 24) outside a test`]
    : [];
}

/** A configuration problem, naming the variable. */
export class ConfigError extends Error {}

/** Parses the environment; throws a ConfigError listing every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = Config.safeParse(clean);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${String(i.path[0] ?? "environment")}: ${i.message}`);
  throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
}
