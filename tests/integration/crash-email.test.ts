// Effects are neither lost nor doubled across crashes: `scripts/crash-email.mjs` sends a
// burst of emails to a real SMTP sink while `waymark worker` processes are killed with
// SIGKILL, then counts deliveries per Message-ID. (`npm run crash:email` runs the full
// 2,000-email version.)
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { redisUrl } from "./redis.js";

describe("email crash test", () => {
  it("loses nothing and duplicates at most one email per kill", async () => {
    const url = await redisUrl();
    const r = spawnSync(process.execPath, ["scripts/crash-email.mjs", "--emails", "400", "--kills", "3", "--workers", "2", "--timeout", "60"], {
      env: { ...process.env, REDIS_URL: url }, encoding: "utf8", timeout: 90_000,
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
    expect(line, r.stderr).toBeDefined();
    const out = JSON.parse(line!) as { lost: number; duplicates: number; kills: number; recorded: number; emails: number; concurrency: number };
    expect(out.kills).toBe(3);
    expect(out.concurrency).toBe(1);
    expect(out.lost).toBe(0);
    // One email in flight per worker process: a kill can double at most that one.
    expect(out.duplicates).toBeLessThanOrEqual(out.kills);
    expect(out.recorded).toBe(out.emails);
    expect(r.status).toBe(0);
  }, 100_000);
});
