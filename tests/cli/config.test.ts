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
    ["REDIS_URL", "notaurl", /^waymark: invalid configuration:\n {2}REDIS_URL: expected a redis:\/\/ or rediss:\/\/ URL\n$/],
  ])("waymark api with %s=%s stops with exit 2, naming it", async (name, value, message) => {
    const r = await runCli(["api"], { [name]: value, WAYMARK_JOURNEYS: "journeys" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
