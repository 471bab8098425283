/**
 * `npm start` runs anywhere: REDIS_URL, else a Redis on 127.0.0.1:6379, else a private
 * `redis-server` under .waymark/ when one is on the PATH, else a clear way out.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { connect } from "node:net";
import { resolve } from "node:path";

const DEFAULT_URL = "redis://127.0.0.1:6379";
const PRIVATE_PORT = 6390;

/** True when something answers PING at `url` within a second. */
export function redisAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((done) => {
    const s = connect(Number(u.port || 6379), u.hostname);
    const end = (ok: boolean) => { s.destroy(); done(ok); };
    s.setTimeout(1_000, () => end(false));
    s.on("error", () => end(false));
    s.on("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => end(String(d).startsWith("+PONG") || String(d).startsWith("-NOAUTH")));
  });
}

/**
 * The Redis URL to use. With REDIS_URL set it is used as is; otherwise the local default,
 * or a private redis-server started under `.waymark/` (said on stderr). Throws with the way
 * out when there is none.
 */
export async function findRedis(env: Record<string, string | undefined>, say: (s: string) => void): Promise<string> {
  if (env["REDIS_URL"]) return env["REDIS_URL"];
  if (await redisAnswers(DEFAULT_URL)) return DEFAULT_URL;
  const privateUrl = `redis://127.0.0.1:${PRIVATE_PORT}`;
  if (await redisAnswers(privateUrl)) return privateUrl;
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error("no Redis answers at 127.0.0.1:6379 and redis-server is not installed: run `docker compose up -d redis`, or set REDIS_URL to a Redis (maxmemory-policy noeviction)");
  }
  const dir = resolve(".waymark", "redis");
  mkdirSync(dir, { recursive: true });
  const child = spawn("redis-server", ["--port", String(PRIVATE_PORT), "--bind", "127.0.0.1", "--dir", dir,
    "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--daemonize", "no", "--logfile", "redis.log"], { stdio: "ignore", detached: true });
  child.unref();
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(privateUrl)) {
      say(`waymark: no Redis at 127.0.0.1:6379, started a private redis-server on port ${PRIVATE_PORT} (data in ${dir}, pid ${child.pid})`);
      return privateUrl;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`started redis-server on port ${PRIVATE_PORT} but it does not answer; see ${dir}/redis.log`);
}
