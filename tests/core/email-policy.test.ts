/**
 * What stands between an email step and a send (contract section 5): consent, frequency
 * caps (workspace and journey) and quiet hours in the contact's time zone, DST-correct.
 */
import { describe, expect, it } from "vitest";
import { compileSources, simulate } from "../helpers.js";
import { identify, iso, only, rows, track } from "./support.js";

const EMAIL = ["email.sent", "email.suppressed", "email.deferred"];

/** A journey sending `template` on every `Ping`, with optional journey-level extras. */
const pinger = (id: string, extra = "") => `
id: ${id}
entry: { event: Go }
stages: [ { id: a } ]
${extra}
triggers:
  - { id: ping, on: { event: Ping }, do: [ { email: { template: ${id}-mail } } ] }
`;

const build = (workspace: string, journeys: Record<string, string>) =>
  compileSources({ journeys, workspace, templates: Object.keys(journeys).map((f) => `${f.replace(".yaml", "")}-mail`) });

describe("consent", () => {
  const c = build("", { "j.yaml": pinger("j") });

  it("a contact with unsubscribed: true gets no email: email.suppressed, reason unsubscribed", () => {
    const msgs = [identify("u", 0, { email: "u@x.io", unsubscribed: true }), track("u", "Go", 1), track("u", "Ping", 2)];
    expect(only(simulate(c, msgs).records, ...EMAIL)).toEqual([{ at: iso(2), type: "email.suppressed", template: "j-mail", reason: "unsubscribed" }]);
  });

  it("a contact with no email trait: reason no-address", () => {
    const msgs = [identify("u", 0, { name: "U" }), track("u", "Go", 1), track("u", "Ping", 2), identify("u", 3, { email: "not-an-address" }), track("u", "Ping", 4)];
    expect(only(simulate(c, msgs).records, ...EMAIL)).toEqual([
      { at: iso(2), type: "email.suppressed", template: "j-mail", reason: "no-address" },
      { at: iso(4), type: "email.suppressed", template: "j-mail", reason: "no-address" },
    ]);
  });

  it("an address naming several mailboxes: reason invalid-address, and it does not count against a cap", () => {
    const capped = build("limits: { email: { max: 1, per: 1h } }", { "j.yaml": pinger("j") });
    const msgs = [identify("u", 0, { email: "a@x.io, b@x.io" }), track("u", "Go", 1), track("u", "Ping", 2),
      identify("u", 3, { email: "Ada <a@x.io>" }), track("u", "Ping", 4), track("u", "Ping", 5)];
    expect(only(simulate(capped, msgs).records, ...EMAIL)).toEqual([
      { at: iso(2), type: "email.suppressed", template: "j-mail", reason: "invalid-address" },
      { at: iso(4), type: "email.sent", template: "j-mail" },
      { at: iso(5), type: "email.suppressed", template: "j-mail", reason: "frequency-cap" },
    ]);
  });

  it("unsubscribed wins over a missing address; consent is judged at send time", () => {
    const msgs = [identify("u", 0, { unsubscribed: true }), track("u", "Go", 1), track("u", "Ping", 2), identify("u", 3, { unsubscribed: false, email: "u@x.io" }), track("u", "Ping", 4)];
    expect(only(simulate(c, msgs).records, ...EMAIL)).toEqual([
      { at: iso(2), type: "email.suppressed", template: "j-mail", reason: "unsubscribed" },
      { at: iso(4), type: "email.sent", template: "j-mail" },
    ]);
  });
});

describe("frequency caps", () => {
  it("a journey cap counts that journey's sends in a rolling window: reason frequency-cap", () => {
    const c = build("", { "j.yaml": pinger("j", "limits: { email: { max: 2, per: 60s } }") });
    const pings = [0, 10, 20, 59.999, 60, 70, 71].map((s) => track("u", "Ping", s + 1));
    const { records } = simulate(c, [identify("u", 0, { email: "u@x.io" }), track("u", "Go", 0.5), ...pings]);
    expect(only(records, ...EMAIL).map((r) => [r["at"], r["type"], r["reason"]])).toEqual([
      [iso(1), "email.sent", undefined],
      [iso(11), "email.sent", undefined],
      [iso(21), "email.suppressed", "frequency-cap"],
      [iso(60.999), "email.suppressed", "frequency-cap"],
      [iso(61), "email.sent", undefined], // the 1s send left the window at exactly 61s
      [iso(71), "email.sent", undefined], // the 11s one at 71s
      [iso(72), "email.suppressed", "frequency-cap"],
    ]);
  });

  it("a workspace cap counts sends across journeys; each journey's cap only its own", () => {
    const c = build("limits: { email: { max: 3, per: 1h } }", {
      "j1.yaml": pinger("j1", "limits: { email: { max: 1, per: 1h } }"),
      "j2.yaml": pinger("j2"),
    });
    const msgs = [identify("u", 0, { email: "u@x.io" }), track("u", "Go", 1), track("u", "Ping", 2), track("u", "Ping", 3), track("u", "Ping", 4)];
    expect(rows(simulate(c, msgs).records, { journey: true, types: EMAIL }).map((r) => [r["at"], r["journey"], r["type"], r["reason"]])).toEqual([
      [iso(2), "j1", "email.sent", undefined],
      [iso(2), "j2", "email.sent", undefined],
      [iso(3), "j1", "email.suppressed", "frequency-cap"],
      [iso(3), "j2", "email.sent", undefined],
      [iso(4), "j1", "email.suppressed", "frequency-cap"],
      [iso(4), "j2", "email.suppressed", "frequency-cap"], // 3 sends in the hour: the workspace cap
    ]);
  });

  it("a journey cap spans the contact's runs of that journey (re-entry does not reset it)", () => {
    const c = build("", { "j.yaml": pinger("j", "reentry: always\nexit: [ { event: Bye } ]\nlimits: { email: { max: 1, per: 1h } }") });
    const msgs = [identify("u", 0, { email: "u@x.io" }), track("u", "Go", 1), track("u", "Ping", 2), track("u", "Bye", 3), track("u", "Go", 4), track("u", "Ping", 5), track("u", "Ping", 3602)];
    expect(only(simulate(c, msgs).records, ...EMAIL).map((r) => [r["at"], r["type"], r["reason"]])).toEqual([
      [iso(2), "email.sent", undefined],
      [iso(5), "email.suppressed", "frequency-cap"],
      [iso(3602), "email.sent", undefined],
    ]);
  });

  it("several caps: every one applies", () => {
    const c = build("", { "j.yaml": pinger("j", "limits: { email: [ { max: 1, per: 10s }, { max: 2, per: 1m } ] }") });
    const msgs = [identify("u", 0, { email: "u@x.io" }), track("u", "Go", 0), ...[1, 5, 11, 21, 61].map((s) => track("u", "Ping", s))];
    expect(only(simulate(c, msgs).records, ...EMAIL).map((r) => [r["at"], r["type"]])).toEqual([
      [iso(1), "email.sent"], [iso(5), "email.suppressed"], [iso(11), "email.sent"], [iso(21), "email.suppressed"], [iso(61), "email.sent"],
    ]);
  });
});

describe("quiet hours", () => {
  const ws = (tz: string, start = "21:00", end = "08:00") => `quietHours: { start: "${start}", end: "${end}" }\ntimezone: ${tz}`;
  const at = (sec: string, traits: Record<string, unknown> = {}) =>
    [identify("u", sec, { email: "u@x.io", ...traits }), track("u", "Go", sec), track("u", "Ping", sec)];
  const emails = (c: ReturnType<typeof build>, msgs: object[]) =>
    rows(simulate(c, msgs, "2027-01-01T00:00:00.000Z").records, { types: EMAIL });
  const journeyEmails = (c: ReturnType<typeof build>, msgs: object[]) =>
    rows(simulate(c, msgs, "2027-01-01T00:00:00.000Z").records, { journey: true, types: EMAIL });

  it("defers to the end of the window in the contact's IANA timezone (New York, the March switch)", () => {
    const c = build(ws("UTC"), { "j.yaml": pinger("j") });
    // 2026-03-08 03:00Z is 22:00 EST on March 7; 08:00 on March 8 is already EDT (UTC-4): 12:00Z.
    expect(emails(c, at("2026-03-08T03:00:00.000Z", { timezone: "America/New_York" }))).toEqual([
      { at: "2026-03-08T03:00:00.000Z", type: "email.deferred", template: "j-mail", reason: "quiet-hours", until: "2026-03-08T12:00:00.000Z" },
      { at: "2026-03-08T12:00:00.000Z", type: "email.sent", template: "j-mail" },
    ]);
  });

  it("New York around the November switch: 08:00 EST is 13:00Z", () => {
    const c = build(ws("UTC"), { "j.yaml": pinger("j") });
    expect(emails(c, at("2026-11-01T02:00:00.000Z", { timezone: "America/New_York" })).map((r) => [r["type"], r["at"], r["until"]])).toEqual([
      ["email.deferred", "2026-11-01T02:00:00.000Z", "2026-11-01T13:00:00.000Z"],
      ["email.sent", "2026-11-01T13:00:00.000Z", undefined],
    ]);
  });

  it("an end that falls in a DST gap ends the window when the clocks jump", () => {
    const c = build(ws("America/New_York", "22:00", "02:30"), { "j.yaml": pinger("j") });
    // 2026-03-08: 02:00 EST jumps to 03:00 EDT (07:00Z); 02:30 never happens that night.
    expect(emails(c, at("2026-03-08T06:59:00.000Z")).map((r) => [r["type"], r["at"]])).toEqual([
      ["email.deferred", "2026-03-08T06:59:00.000Z"],
      ["email.sent", "2026-03-08T07:00:00.000Z"],
    ]);
    expect(emails(c, at("2026-03-08T07:00:00.000Z")).map((r) => [r["type"], r["at"]])).toEqual([["email.sent", "2026-03-08T07:00:00.000Z"]]);
    // 2026-11-01: 02:00 EDT falls back to 01:00 EST; 02:30 EST is 07:30Z.
    expect(emails(c, at("2026-11-01T05:30:00.000Z")).map((r) => [r["type"], r["at"]])).toEqual([
      ["email.deferred", "2026-11-01T05:30:00.000Z"],
      ["email.sent", "2026-11-01T07:30:00.000Z"],
    ]);
  });

  it("without a timezone trait, the workspace's (Europe/Paris across its March switch)", () => {
    const c = build(ws("Europe/Paris"), { "j.yaml": pinger("j") });
    // 2026-03-28 21:00Z is 22:00 CET; 08:00 on March 29 is CEST (UTC+2): 06:00Z.
    expect(emails(c, at("2026-03-28T21:00:00.000Z")).map((r) => [r["type"], r["at"], r["until"]])).toEqual([
      ["email.deferred", "2026-03-28T21:00:00.000Z", "2026-03-29T06:00:00.000Z"],
      ["email.sent", "2026-03-29T06:00:00.000Z", undefined],
    ]);
  });

  it("an unknown timezone trait falls back to the workspace's; a message's context.timezone is not used (the contract: trait, else workspace)", () => {
    const c = build(ws("UTC"), { "j.yaml": pinger("j") });
    const t = "2026-06-01T13:00:00.000Z"; // 22:00 in Tokyo, 13:00 UTC
    const contexts = (traits: Record<string, unknown>) => [
      { type: "identify", userId: "u", traits: { email: "u@x.io", ...traits }, context: { timezone: "Asia/Tokyo" }, timestamp: t },
      { ...track("u", "Go", t), context: { timezone: "Asia/Tokyo" } }, { ...track("u", "Ping", t), context: { timezone: "Asia/Tokyo" } },
    ];
    expect(emails(c, contexts({ timezone: "Mars/Olympus" })).map((r) => [r["type"], r["at"]])).toEqual([["email.sent", t]]);
    expect(emails(c, contexts({})).map((r) => [r["type"], r["at"]])).toEqual([["email.sent", t]]);
    // The trait, when it names a zone, is what counts.
    expect(emails(c, contexts({ timezone: "Asia/Tokyo" })).map((r) => [r["type"], r["until"] ?? r["at"]])).toEqual([
      ["email.deferred", "2026-06-01T23:00:00.000Z"], // 08:00 in Tokyo
      ["email.sent", "2026-06-01T23:00:00.000Z"],
    ]);
  });

  it("a window wrapping midnight: after midnight the end is the same morning; start included, end excluded", () => {
    const c = build(ws("UTC"), { "j.yaml": pinger("j") });
    const cases: [string, string | null][] = [
      ["2026-01-06T01:30:00.000Z", "2026-01-06T08:00:00.000Z"],
      ["2026-01-06T21:00:00.000Z", "2026-01-07T08:00:00.000Z"],
      ["2026-01-06T23:59:59.999Z", "2026-01-07T08:00:00.000Z"],
      ["2026-01-06T07:59:59.999Z", "2026-01-06T08:00:00.000Z"],
      ["2026-01-06T08:00:00.000Z", null],
      ["2026-01-06T20:59:00.000Z", null],
    ];
    for (const [t, until] of cases) {
      const got = emails(c, at(t)).map((r) => [r["type"], r["at"]]);
      expect(got).toEqual(until === null ? [["email.sent", t]] : [["email.deferred", t], ["email.sent", until]]);
    }
  });

  it("a window within one day, and a journey that opts out with quietHours: false", () => {
    const c = build(ws("Asia/Tokyo", "12:00", "14:00"), { "j.yaml": pinger("j"), "k.yaml": pinger("k", "quietHours: false") });
    // 04:30Z is 13:30 in Tokyo (UTC+9, no DST).
    expect(journeyEmails(c, at("2026-06-01T04:30:00.000Z")).map((r) => [r["journey"], r["type"], r["at"]])).toEqual([
      ["j", "email.deferred", "2026-06-01T04:30:00.000Z"],
      ["k", "email.sent", "2026-06-01T04:30:00.000Z"],
      ["j", "email.sent", "2026-06-01T05:00:00.000Z"],
    ]);
  });

  it("a deferred email is cancelled with its run: a goal.reached email in quiet hours is not sent (documented)", () => {
    const journey = (id: string, extra: string) => `
id: ${id}
entry: { event: Go }
goal: { event: Buy }
stages: [ { id: a } ]
${extra}
triggers:
  - { id: thanks, on: goal.reached, do: [ { email: { template: ${id}-mail } } ] }
`;
    const c = build(ws("UTC"), { "j.yaml": journey("j", ""), "k.yaml": journey("k", "quietHours: false") });
    const msgs = [identify("u", "2026-01-06T12:00:00.000Z", { email: "u@x.io" }), track("u", "Go", "2026-01-06T12:00:00.000Z"), track("u", "Buy", "2026-01-06T22:00:00.000Z")];
    expect(rows(simulate(c, msgs, "2027-01-01T00:00:00.000Z").records, { journey: true, types: [...EMAIL, "journey.exited"] }).map((r) => [r["journey"], r["type"], r["at"]])).toEqual([
      ["j", "email.deferred", "2026-01-06T22:00:00.000Z"],
      ["j", "journey.exited", "2026-01-06T22:00:00.000Z"],
      ["k", "email.sent", "2026-01-06T22:00:00.000Z"],
      ["k", "journey.exited", "2026-01-06T22:00:00.000Z"],
    ]);
  });

  it("a deferred email holds the steps after it until it is sent", () => {
    const c = compileSources({
      workspace: ws("UTC"), templates: ["a", "b"],
      journeys: { "j.yaml": `
id: j
entry: { event: Go }
stages: [ { id: a } ]
triggers:
  - { id: t, on: journey.entered, do: [ { email: { template: a } }, { wait: 1h }, { email: { template: b } }, { set: { done: true } } ] }
` },
    });
    const msgs = [identify("u", "2026-01-06T20:30:00.000Z", { email: "u@x.io" }), track("u", "Go", "2026-01-06T20:30:00.000Z")];
    const { records } = simulate(c, msgs, "2027-01-01T00:00:00.000Z");
    expect(only(records, ...EMAIL, "trait.set").map((r) => [r["type"], r["template"] ?? r["traits"], r["at"]])).toEqual([
      ["email.sent", "a", "2026-01-06T20:30:00.000Z"],
      ["email.deferred", "b", "2026-01-06T21:30:00.000Z"],
      ["email.sent", "b", "2026-01-07T08:00:00.000Z"],
      ["trait.set", { done: true }, "2026-01-07T08:00:00.000Z"],
    ]);
  });
});
