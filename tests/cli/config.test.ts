/**
 * Configuration (contract section 10): the environment is checked at start-up, a bad value
 * stops the process with a message naming it, and the defaults are the contract's.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, configWarnings, loadConfig } from "../../src/adapters/config.js";
import { ensureBuilt, runCli } from "./run-cli.js";

beforeAll(ensureBuilt);

describe("loadConfig", () => {
  it("has the contract's defaults", () => {
    const c = loadConfig({});
    expect([c.REDIS_URL, c.WAYMARK_PREFIX, c.PORT, c.WAYMARK_JOURNEYS, c.WAYMARK_WRITE_KEYS, c.WAYMARK_ADMIN_TOKEN, c.SMTP_URL, c.WAYMARK_PUBLIC_URL])
      .toEqual(["redis://127.0.0.1:6379", "waymark", 3000, "./journeys", [], undefined, undefined, undefined]);
  });

  it("names every bad variable", () => {
    expect(() => loadConfig({ PORT: "abc", REDIS_URL: "notaurl", SMTP_URL: "http://mail" })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: "abc", REDIS_URL: "notaurl", SMTP_URL: "http://mail" });
    } catch (e) {
      const lines = (e as Error).message.split("\n").slice(1).map((l) => l.trim().split(":")[0]);
      expect(lines.sort()).toEqual(["PORT", "REDIS_URL", "SMTP_URL"]);
    }
  });

  it.each([
    ["REDIS_URL", "redis:notaurl"], ["REDIS_URL", "redis://"], ["REDIS_URL", "http://127.0.0.1:6379"],
    ["PORT", "0x10"], ["PORT", "1e3"], ["PORT", "3412.5"], ["PORT", "99999"], ["WAYMARK_METRICS_PORT", "abc"],
    ["SMTP_URL", "smtp:"], ["WAYMARK_PUBLIC_URL", "localhost:3000"], ["WAYMARK_PUBLIC_URL", "ftp://x"], ["WAYMARK_JOURNEYS", "   "],
  ])("refuses %s=%j, naming it", (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`\\n  ${name}: `));
  });

  it("takes good values as given", () => {
    const c = loadConfig({ REDIS_URL: "rediss://:pw@cache.internal:6380/2", PORT: "8080", SMTP_URL: "smtp://mail:1025", WAYMARK_PUBLIC_URL: "https://go.example.com/", WAYMARK_METRICS_PORT: "9464" });
    expect([c.REDIS_URL, c.PORT, c.SMTP_URL, c.WAYMARK_PUBLIC_URL, c.WAYMARK_METRICS_PORT]).toEqual(["rediss://:pw@cache.internal:6380/2", 8080, "smtp://mail:1025", "https://go.example.com/", 9464]);
  });

  it("takes a short admin token (a test's) with a warning, and a long one without", () => {
    const short = loadConfig({ WAYMARK_ADMIN_TOKEN: "admintoken" });
    expect(short.WAYMARK_ADMIN_TOKEN).toBe("admintoken");
    expect(configWarnings(short)).toEqual([expect.stringMatching(/^WAYMARK_ADMIN_TOKEN is 10 characters: use 16 or more/)]);
    expect(configWarnings(loadConfig({ WAYMARK_ADMIN_TOKEN: "a-token-of-24-characters" }))).toEqual([]);
  });
});

describe("a process with a bad value", () => {
  it.concurrent.each([
    ["PORT", "abc", /^waymark: invalid configuration:\n {2}PORT: .+\n$/],
    ["REDIS_URL", "redis:notaurl", /^waymark: invalid configuration:\n {2}REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL with a host \(redis:\/\/127\.0\.0\.1:6379\)\n$/],
  ])("waymark api with %s=%s stops with exit 2, naming it", async (name, value, message) => {
    const r = await runCli(["api"], { [name]: value, WAYMARK_JOURNEYS: "journeys" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
