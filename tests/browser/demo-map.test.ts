// After a demo stream (the example journeys, the demo's generator, 150 contacts through
// the ingest API), every number the journey map shows equals the API's.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { compile } from "../../src/core/index.js";
import { loadJourneyFolder } from "../../src/adapters/journey-files.js";
// @ts-expect-error: a plain ES module shared with the demo and the benchmarks
import { generate } from "../../bench/generate.mjs";
import { until } from "../integration/redis.js";
import { ADMIN_TOKEN, basic, closeAll, get, post, startServer, WRITE_KEY } from "../http/server.js";
import { launch, shot, signIn } from "./browser.js";

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser.close(); });
afterEach(closeAll);

const SECRET = "whsec_ZGVtby1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u";
type Api = { id: string; stages: { stage: string; now: number; entered: number; converted: number }[]; records: Record<string, number> };

describe("the journey map after a demo stream", () => {
  it("shows the same numbers as GET /v1/journeys for every journey and stage", async () => {
    const env = Object.fromEntries(["SALES_CRM", "SALES_MANAGER", "SUCCESS_DESK", "ADS_SYNC"].map((n) => [`${n}_WEBHOOK_SECRET`, SECRET]));
    const load = await loadJourneyFolder("journeys", { env, requireEnv: true });
    if (!load.ok) throw new Error("the example journeys do not validate");
    const s = await startServer({ compiled: compile(load.definitions), workspace: load.definitions.workspace, templates: load.templates });
    const messages = (generate({ journeys: load.definitions.journeys.map((j) => j.journey), contacts: 150, perContact: 12, seed: 7 }) as object[])
      .map((m, i) => ({ ...m, messageId: `demo-${i}` }));
    for (let i = 0; i < messages.length; i += 500) {
      const r = await post(`${s.base}/v1/batch`, { batch: messages.slice(i, i + 500), sentAt: new Date().toISOString() }, { authorization: basic(WRITE_KEY) });
      expect(r.status).toBe(200);
    }
    // Everything evaluated (wake-ups overdue when scheduled wait out their grace as delayed
    // jobs: none left due within the minute), and every email's outcome recorded.
    await until(async () => {
      if ((await s.engine.inbox.backlog()) > 0 || (await s.redis.zcard(s.engine.keys.pending)) > 0) return false;
      const c = await s.engine.queue.getJobCounts("waiting", "active");
      if (c["waiting"]! + c["active"]! > 0) return false;
      return (await s.engine.queue.getDelayed()).every((j) => j.timestamp + (j.opts.delay ?? 0) > Date.now() + 60_000);
    }, 30_000);
    await until(async () => {
      const c = await s.engine.outbox.email.getJobCounts("waiting", "active", "delayed");
      return c["waiting"]! + c["active"]! + c["delayed"]! === 0 && (await s.redis.zcard(s.engine.keys.outbox)) === 0;
    }, 30_000);
    const api = (await get(`${s.base}/v1/journeys`)).body["journeys"] as Api[];
    expect(api.reduce((n, j) => n + (j.records["journey.entered"] ?? 0), 0)).toBeGreaterThan(100);

    const page = await browser.newPage();
    await signIn(page, s.base, ADMIN_TOKEN);
    for (const j of api) {
      const card = page.locator(`[data-journey="${j.id}"]`);
      expect(await card.locator('[data-k="entered"]').first().textContent(), j.id).toBe((j.records["journey.entered"] ?? 0).toLocaleString("en-US"));
      expect(await card.locator('[data-k="goals"]').textContent(), j.id).toBe((j.records["goal.reached"] ?? 0).toLocaleString("en-US"));
      expect(await card.locator('[data-k="emails-sent"]').textContent(), j.id).toBe((j.records["email.sent"] ?? 0).toLocaleString("en-US"));
      for (const st of j.stages) {
        const row = card.locator(`tr[data-stage="${st.stage}"]`);
        expect(await row.locator('[data-k="now"]').textContent(), `${j.id}/${st.stage}`).toBe(st.now.toLocaleString("en-US"));
        expect(await row.locator('[data-k="entered"]').textContent(), `${j.id}/${st.stage}`).toBe(st.entered.toLocaleString("en-US"));
        expect(await row.locator('[data-k="converted"]').textContent(), `${j.id}/${st.stage}`).toBe(st.converted.toLocaleString("en-US"));
      }
    }
    await shot(page, "dashboard-demo-map");

    // A journey's own page: its heading links there; only its card, the same numbers, kept live.
    const one = api.find((j) => (j.records["journey.entered"] ?? 0) > 0)!;
    await page.locator(`[data-journey="${one.id}"] h2 a`).click();
    await page.waitForURL(new RegExp(`/dashboard/journeys/${one.id}$`));
    expect(await page.locator("[data-journey]").count()).toBe(1);
    expect(await page.locator(`[data-journey="${one.id}"] [data-k="entered"]`).first().textContent()).toBe((one.records["journey.entered"] ?? 0).toLocaleString("en-US"));
    expect(await page.locator('[data-k="open-handoffs"]').count()).toBe(0);
    const before = await page.locator("#updated").textContent();
    await page.waitForFunction((b) => document.querySelector("#updated")?.textContent !== b, before, { timeout: 15_000 });
    expect(await page.locator("[data-journey]").count()).toBe(1);
    await page.getByRole("link", { name: "Last 7 days" }).click();
    await page.waitForURL(new RegExp(`/dashboard/journeys/${one.id}\\?range=7d$`));
    expect(await page.locator("[data-journey]").count()).toBe(1);
    await shot(page, "dashboard-journey-page");
    const data = await page.evaluate(async (id) => (await fetch(`/dashboard/data?journey=${id}`)).json(), one.id) as { journeys: { id: string }[] };
    expect(data.journeys.map((j) => j.id)).toEqual([one.id]);
    expect((await page.goto(`${s.base}/dashboard/journeys/no-such-journey`))!.status()).toBe(404);
    await page.close();
  }, 90_000);
});
