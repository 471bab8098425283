/**
 * Streams an audience's current members (not expired) as JSON or CSV, in pages, so a large
 * audience never sits in memory: contact id, email (from the contact's traits), expiry.
 */
import type { Response } from "express";
import type { Redis } from "ioredis";
import type { Keys } from "../redis/keys.js";
import { readStates } from "../redis/state.js";
import { csvLine } from "./csv.js";

const PAGE = 1_000;

/** One member row. */
export type AudienceMember = { contact: string; email: string | null; expiresAt: string | null };

/** Writes the audience to `res` (JSON `{ audience, name, members, size }`, or CSV). */
export async function streamAudience(redis: Redis, k: Keys, a: { id: string; name: string; csv: boolean; now: number }, res: Response): Promise<void> {
  res.status(200);
  if (a.csv) {
    res.type("text/csv; charset=utf-8").setHeader("Content-Disposition", `attachment; filename="${a.id}.csv"`);
    res.write(csvLine(["contact", "email", "expiresAt"]));
  } else {
    res.type("application/json").write(`{"audience":${JSON.stringify(a.id)},"name":${JSON.stringify(a.name)},"members":[`);
  }
  let size = 0;
  for (let offset = 0; ; offset += PAGE) {
    const page = await redis.zrangebyscore(k.audience(a.id), `(${a.now}`, "+inf", "WITHSCORES", "LIMIT", offset, PAGE);
    if (page.length === 0) break;
    const ids: string[] = [];
    const scores: string[] = [];
    for (let i = 0; i < page.length; i += 2) { ids.push(page[i]!); scores.push(page[i + 1]!); }
    const states = await readStates(redis, k, ids);
    const rows = ids.map((contact, i): AudienceMember => {
      const email = states[i]?.traits["email"];
      const exp = scores[i] === "inf" ? null : new Date(Number(scores[i])).toISOString();
      return { contact, email: typeof email === "string" ? email : null, expiresAt: exp };
    });
    const chunk = a.csv
      ? rows.map((m) => csvLine([m.contact, m.email, m.expiresAt])).join("")
      : rows.map((m, i) => `${size + i === 0 ? "" : ","}${JSON.stringify(m)}`).join("");
    size += rows.length;
    if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
    if (page.length < PAGE * 2) break;
  }
  res.end(a.csv ? "" : `],"size":${size}}`);
}
