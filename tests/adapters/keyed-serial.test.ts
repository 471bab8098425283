// KeyedSerial (src/adapters/keyed-serial.ts): one task at a time per key, in arrival order;
// other keys alongside; a failed task neither blocks nor fails the next.
import { describe, expect, it } from "vitest";
import { KeyedSerial } from "../../src/adapters/keyed-serial.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("KeyedSerial", () => {
  it("runs a key's tasks one after the other in arrival order, other keys alongside", async () => {
    const s = new KeyedSerial();
    const log: string[] = [];
    let running = 0, most = 0;
    const task = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      running--;
      return name;
    };
    const all = Promise.all([s.run("a", task("a1")), s.run("a", task("a2")), s.run("b", task("b1")), s.run("a", task("a3"))]);
    expect(s.size).toBe(2);
    expect(await all).toEqual(["a1", "a2", "b1", "a3"]);
    const a = log.filter((l) => l.startsWith("a"));
    expect(a).toEqual(["a1 start", "a1 end", "a2 start", "a2 end", "a3 start", "a3 end"]);
    expect(log.indexOf("b1 start")).toBeLessThan(log.indexOf("a1 end")); // b did not wait for a
    expect(most).toBe(2);
    await tick();
    expect(s.size).toBe(0);
  });

  it("a failing task rejects its own caller only; the next task of its key still runs", async () => {
    const s = new KeyedSerial();
    const first = s.run("k", async () => { await tick(); throw new Error("boom"); });
    let firstDone = false;
    void first.catch(() => (firstDone = true));
    const second = s.run("k", async () => (firstDone ? "ran after" : "did not wait"));
    await expect(first).rejects.toThrow("boom");
    expect(await second).toBe("ran after");
    await tick();
    expect(s.size).toBe(0);
  });
});
