import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSources, simulate } from "../helpers.js";

const dir = new URL("../../../shared/spec/example/", import.meta.url);

describe("the contract's worked example", () => {
  it("produces every expected record", () => {
    const compiled = compileSources({
      journeys: { "webinar.yaml": readFileSync(new URL("journeys/webinar.yaml", dir), "utf8") },
      templates: ["webinar-recap", "case-study-nudge"],
    });
    const events = readFileSync(new URL("events.ndjson", dir), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const { records } = simulate(compiled, events);
    const expected = readFileSync(new URL("expected.ndjson", dir), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    for (const want of expected) expect(records).toContainEqual(expect.objectContaining(want));
  });
});
