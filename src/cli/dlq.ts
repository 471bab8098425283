/**
 * `waymark dlq list | show | replay | drop`: the dead letters of a deployment, from the
 * command line (same store as `GET /v1/dlq`). Reads REDIS_URL and WAYMARK_PREFIX.
 */
import { loadConfig, ConfigError } from "../adapters/config.js";
import { Outbox, retryPolicy } from "../adapters/actions/outbox.js";
import { Keys } from "../adapters/redis/keys.js";
import { producerConnection, ready, redactRedisUrl } from "../adapters/redis/connection.js";

/** What a dlq command does. */
export type DlqCommand = { action: "list"; json?: boolean; name?: string; limit?: number } | { action: "show"; id: string }
  | { action: "replay"; ids: string[]; all?: boolean } | { action: "drop"; ids: string[] };

/** Runs a dlq command; returns the exit code. */
export async function runDlq(cmd: DlqCommand, env: Record<string, string | undefined> = process.env,
  out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let config;
  try {
    config = loadConfig(env);
  } catch (e) {
    err(`waymark: ${(e as Error).message}\n`);
    return e instanceof ConfigError ? 2 : 1;
  }
  const redis = producerConnection(config.REDIS_URL);
  // Connection errors end in one message below, not in ioredis's dumps of each retry.
  redis.on("error", () => {});
  try {
    await ready(redis);
  } catch (e) {
    err(`waymark: REDIS_URL: no Redis answers at ${redactRedisUrl(config.REDIS_URL)} (${(e as Error).message})\n`);
    redis.disconnect();
    return 1;
  }
  const keys = new Keys(config.WAYMARK_PREFIX);
  const outbox = new Outbox(redis, keys, retryPolicy(config));
  const dlq = outbox.deadLetters();
  try {
    switch (cmd.action) {
      case "list": {
        const { total, items } = await dlq.list({ limit: cmd.limit ?? 100, ...(cmd.name ? { name: cmd.name } : {}) });
        if (cmd.json) for (const d of items) out(`${JSON.stringify(d)}\n`);
        else {
          out(`${total} dead letter${total === 1 ? "" : "s"}\n`);
          for (const d of items) {
            out(`${d.id}  ${d.failedAt}  ${d.name}${d.endpoint ? ` -> ${d.endpoint}` : ""}${d.contact ? `  contact ${d.contact}` : ""}\n`);
            out(`    ${d.reason} after ${d.attempts} attempt${d.attempts === 1 ? "" : "s"}: ${d.error}\n`);
          }
        }
        return 0;
      }
      case "show": {
        const d = await dlq.get(cmd.id);
        if (!d) { err(`waymark: no dead letter "${cmd.id}"\n`); return 1; }
        out(`${JSON.stringify(d, null, 2)}\n`);
        return 0;
      }
      case "replay": {
        if (!cmd.all && cmd.ids.length === 0) { err("waymark: name dead letters to replay, or pass --all\n"); return 2; }
        const done = await dlq.replay(cmd.all ? undefined : cmd.ids);
        const missing = cmd.all ? [] : cmd.ids.filter((i) => !done.includes(i));
        out(`replayed ${done.length}\n`);
        for (const m of missing) err(`waymark: no dead letter "${m}"\n`);
        return missing.length > 0 ? 1 : 0;
      }
      case "drop": {
        const n = await dlq.drop(cmd.ids);
        out(`dropped ${n}\n`);
        return n === cmd.ids.length ? 0 : 1;
      }
    }
  } catch (e) {
    err(`waymark: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await outbox.close();
    redis.disconnect();
  }
}
