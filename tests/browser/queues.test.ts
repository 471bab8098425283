// The queue dashboard in a real browser: /admin/queues sends a browser to the sign-in page,
// the form is labelled and usable with the keyboard, a wrong token is refused, the right
// one sets a session cookie and bull-board lists the engine's queues. Scripts use the
// bearer token.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { compileJourney } from "../helpers.js";
import { ADMIN_TOKEN, admin, closeAll, startServer } from "../http/server.js";
import { launch, shot } from "./browser.js";

let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser.close(); });
afterEach(closeAll);

const compiled = compileJourney("id: q\nentry: { event: Go }\nstages: [ { id: a } ]\n");

describe("/admin/queues", () => {
  it("signs in with the admin token (keyboard only) and shows every queue", async () => {
    const s = await startServer({ compiled });
    const page = await browser.newPage();
    await page.goto(`${s.base}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe("/admin/login");
    const field = page.getByLabel("Admin token");
    await expect(field.getAttribute("type")).resolves.toBe("password");
    // Keyboard: the field has focus; type a wrong token and press Enter.
    await page.keyboard.type("wrong-token-0000000");
    await page.keyboard.press("Enter");
    await page.waitForSelector("[role=alert]");
    expect(await page.textContent("[role=alert]")).toContain("not valid");
    await shot(page, "admin-login-refused");
    await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/admin\/queues/);
    for (const q of ["contacts", "email", "webhooks"]) await page.getByText(q, { exact: true }).first().waitFor();
    await shot(page, "admin-queues");
    const cookies = await page.context().cookies();
    expect(cookies.find((c) => c.name === "waymark_admin")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
    await page.close();
  });

  it("answers scripts with the bearer token, 401 without, and never redirects off-site after sign-in", async () => {
    const s = await startServer({ compiled });
    const api = await fetch(`${s.base}/admin/queues/api/queues`, { headers: admin });
    expect(api.status).toBe(200);
    const names = ((await api.json()) as { queues: { name: string }[] }).queues.map((q) => q.name).sort();
    expect(names).toEqual(["contacts", "email", "webhooks"]);
    expect((await fetch(`${s.base}/admin/queues/api/queues`)).status).toBe(401);
    const login = await fetch(`${s.base}/admin/login`, {
      method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${ADMIN_TOKEN}&next=${encodeURIComponent("//evil.example/x")}`,
    });
    expect(login.status).toBe(303);
    expect(login.headers.get("location")).toBe("/admin/queues");
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    expect((await fetch(`${s.base}/admin/queues/api/queues`, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${s.base}/admin/queues/api/queues`, { headers: { cookie: `${cookie.slice(0, -3)}abc` } })).status).toBe(401);
  });
});
