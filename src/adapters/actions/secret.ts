/**
 * The deployment's signing secret, for links that must not be forged (one-click
 * unsubscribe, hand-off acknowledgement). `WAYMARK_SECRET` when configured, else a random
 * secret created once in Redis and shared by every process of the deployment.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import type { Keys } from "../redis/keys.js";

/** Reads (or creates) the deployment secret. */
export async function deploymentSecret(redis: Redis, keys: Keys, configured?: string): Promise<Buffer> {
  if (configured) return Buffer.from(configured, "utf8");
  await redis.set(keys.secret, randomBytes(32).toString("base64"), "NX");
  const s = await redis.get(keys.secret);
  if (s === null) throw new Error("the deployment secret could not be created");
  return Buffer.from(s, "base64");
}

/** A token acknowledging one hand-off without the admin token (sent in the hand-off webhook). */
export function ackToken(secret: Buffer, handoff: string): string {
  return createHmac("sha256", secret).update(`ack\n${handoff}`).digest("base64url");
}

/** Checks a hand-off acknowledgement token in constant time. */
export function verifyAckToken(secret: Buffer, handoff: string, token: string): boolean {
  const want = Buffer.from(ackToken(secret, handoff));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The acknowledgement link of a hand-off. */
export function ackUrl(publicUrl: string, secret: Buffer, handoff: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/v1/handoffs/${encodeURIComponent(handoff)}/ack?token=${ackToken(secret, handoff)}`;
}
