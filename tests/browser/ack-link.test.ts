// A hand-off's signed acknowledgement link opened in a real browser (as from a CRM or a mail
// client: a GET): a page whose button acknowledges it. Opening the page alone changes nothing.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { until } from "../integration/redis.js";
import { actionServer, pathOf, track, type ActionServer } from "../http/actions.js";
import { closeAll, journal, ofType } from "../http/server.js";
import { launch, shot } from "./browser.js";

let browser: Browser;
let a: ActionServer | undefined;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser.close(); });
afterEach(async () => {
  await closeAll();
  await a?.close();
  a = undefined;
});

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
