// The journey map and the contact page in a real browser, after events went through the
// live engine: the map's numbers equal the API's, a contact is found by email, its open
// hand-off is acknowledged with the button, and labels, contrast and keyboard use hold;
// a hand-off's own acknowledgement link opens a confirmation page.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { until } from "../integration/redis.js";
import { actionServer, identify, pathOf, track, type ActionServer } from "../http/actions.js";
import { ADMIN_TOKEN, closeAll, get, journal, journalUntil, ofType } from "../http/server.js";
import { contrasts, launch, shot, signIn } from "./browser.js";

let browser: Browser;
let a: ActionServer | undefined;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser.close(); });
afterEach(async () => {
  await closeAll();
  await a?.close();
  a = undefined;
});

type Stage = { stage: string; now: number; entered: number; converted: number };

describe("/dashboard", () => {
  it("shows the API's numbers, finds a contact by email and acknowledges its hand-off", async () => {
    a = await actionServer({ env: { WAYMARK_AUDIENCE_WAIT_MS: "60000" } });
    await a.send(
      identify("d1", { email: "d1@example.com", company: "Acme" }), track("d1", "Signed Up"), track("d1", "Demo Requested"),
      identify("d2", { email: "d2@example.com" }), track("d2", "Signed Up"),
      track("d3", "Signed Up"),
    );
    await journalUntil(a.s, "d1", (j) => ofType(j, "handoff.opened").length === 1 && ofType(j, "email.sent").length === 1);
    await journalUntil(a.s, "d3", (j) => ofType(j, "email.suppressed").length === 1);
    const api = await until(async () => {
      const r = await get(`${a!.s.base}/v1/journeys`);
      const j = (r.body["journeys"] as { id: string; stages: Stage[]; records: Record<string, number> }[])[0]!;
      return j.records["email.sent"] === 2 ? j : undefined;
    });

    const page = await browser.newPage();
    await signIn(page, a.s.base, ADMIN_TOKEN);
    const card = page.locator('[data-journey="onboarding"]');
    await card.waitFor();
    expect(await card.locator('[data-k="entered"]').first().textContent()).toBe(String(api!.records["journey.entered"]));
    for (const st of api!.stages) {
      const row = card.locator(`tr[data-stage="${st.stage}"]`);
      expect(await row.locator('[data-k="now"]').textContent()).toBe(String(st.now));
      expect(await row.locator('[data-k="entered"]').textContent()).toBe(String(st.entered));
      expect(await row.locator('[data-k="converted"]').textContent()).toBe(String(st.converted));
    }
    expect(await card.locator('[data-k="emails-sent"]').textContent()).toBe("2");
    await shot(page, "dashboard-map");

    // Time ranges: the events just happened, so the last 24 hours count them all.
    await page.getByRole("link", { name: "Last 24 hours" }).click();
    await page.waitForURL(/range=24h/);
    expect(await page.locator('[data-journey="onboarding"] [data-k="entered"]').first().textContent()).toBe(String(api!.records["journey.entered"]));
    expect(await page.getByRole("link", { name: "Last 24 hours" }).getAttribute("aria-current")).toBe("page");
    expect(await page.locator('[data-journey="onboarding"] caption').first().textContent()).toBe("Funnel by stage (last 24 hours)");
    const data = await fetch(`${a.s.base}/dashboard/data?range=7d`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(((await data.json()) as { range: string; journeys: { entered: number }[] })).toMatchObject({ range: "7d", journeys: [{ entered: api!.records["journey.entered"] }] });

    // Labels: every input and button has an accessible name; contrast of text is at least 4.5:1.
    const unnamed = await page.$$eval("input:not([type=hidden]), button", (els) => els.filter((e) => {
      const id = e.getAttribute("id");
      return !(e.getAttribute("aria-label") || (id && document.querySelector(`label[for="${id}"]`)) || (e.tagName === "BUTTON" && e.textContent?.trim()));
    }).length);
    expect(unnamed).toBe(0);
    for (const c of await contrasts(page, "h1, h2, th, td, a, label, button, .muted")) expect(c.ratio, c.text).toBeGreaterThanOrEqual(4.5);

    // Find d1 by email with the keyboard: focus the search field, type, Enter.
    await page.getByLabel("Find a contact").focus();
    await page.keyboard.type("D1@Example.com");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/dashboard\/contacts\/d1$/);
    expect(await page.textContent("main")).toContain("Acme");
    expect(await page.textContent("main")).toContain("handoff.opened");
    await shot(page, "dashboard-contact");
    await page.getByRole("button", { name: /Acknowledge the sales hand-off/ }).click();
    await page.waitForURL(/acked=/);
    const j = await journalUntil(a.s, "d1", (x) => ofType(x, "handoff.resolved").length === 1);
    expect(ofType(j, "handoff.resolved")[0]).toMatchObject({ by: "ack", team: "sales" });
    await page.reload();
    expect(await page.locator("#h-handoffs + p").textContent()).toBe("none");
    await shot(page, "dashboard-contact-acked");

    // An unknown contact is a clear 404 page; the map refuses a browser without a session.
    const missing = await page.goto(`${a.s.base}/dashboard/contacts?q=nobody@example.com`);
    expect(missing!.status()).toBe(404);
    const fresh = await browser.newContext();
    const anon = await fresh.newPage();
    await anon.goto(`${a.s.base}/dashboard`);
    expect(new URL(anon.url()).pathname).toBe("/admin/login");
    await fresh.close();
    await page.close();
  });
});

// A hand-off's signed acknowledgement link opened in the browser (as from a CRM or a mail
// client: a GET): a page whose button acknowledges it. Opening the page alone changes nothing.
describe("the acknowledgement link", () => {
  it("shows a confirmation page; its button acknowledges the hand-off", async () => {
    a = await actionServer();
    await a.send(track("k1", "Signed Up"), track("k1", "Demo Requested"));
    await until(async () => a!.hooks.of("/crm", "handoff.opened").length === 1);
    const data = (JSON.parse(a.hooks.of("/crm", "handoff.opened")[0]!.body) as { data: { ackUrl: string } }).data;
    const page = await browser.newPage();
    const res = await page.goto(`${a.s.base}${pathOf(data.ackUrl)}`);
    expect(res?.status()).toBe(200);
    await page.getByRole("heading", { name: "Acknowledge the hand-off" }).waitFor();
    await shot(page, "ack-link");
    // Only looking: nothing resolved (the SLA is 2 s; look well inside it).
    expect(ofType(await journal(a.s, "k1"), "handoff.resolved")).toEqual([]);
    await page.getByRole("button", { name: "Acknowledge" }).click();
    await page.getByRole("heading", { name: "Acknowledged" }).waitFor();
    await until(async () => ofType(await journal(a!.s, "k1"), "handoff.resolved").length === 1);
    expect(ofType(await journal(a.s, "k1"), "handoff.resolved")[0]).toMatchObject({ by: "ack" });
    // A forged token gets no page.
    const forged = await page.goto(`${a.s.base}${new URL(data.ackUrl).pathname}?token=forged`);
    expect(forged?.status()).toBe(404);
    await page.close();
  });
});
