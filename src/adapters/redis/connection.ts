/**
 * Redis connections: workers block on BullMQ and must never give up a command; producers
 * serving HTTP must fail fast instead of queueing commands while Redis is away.
 */
import { Redis } from "ioredis";

/** A connection for BullMQ workers and blocking calls. */
export function workerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}

/** A connection for request handlers: commands fail quickly when Redis is unreachable. */
export function producerConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, lazyConnect: false });
}

/** Waits until the connection is ready (or throws after `ms`). */
export async function ready(r: Redis, ms = 5_000): Promise<void> {
  if (r.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready after ${ms} ms`)), ms);
    r.once("ready", () => { clearTimeout(timer); resolve(); });
  });
}

/** Throws unless Redis evicts nothing (`maxmemory-policy noeviction`): jobs and locks must not vanish. */
export async function checkNoEviction(r: Redis): Promise<void> {
  const reply = (await r.config("GET", "maxmemory-policy")) as string[];
  const policy = reply[1];
  if (policy !== "noeviction") {
    throw new Error(`Redis maxmemory-policy is "${policy}": set it to noeviction (CONFIG SET maxmemory-policy noeviction, or --maxmemory-policy noeviction), or queued jobs and locks can be evicted`);
  }
}

/** A Redis URL without its password (for messages and logs). */
export function redactRedisUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
