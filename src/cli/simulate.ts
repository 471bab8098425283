/**
 * `waymark simulate`: replays NDJSON events on a virtual clock; the journal on stdout, nothing else.
 */
import { readFile } from "node:fs/promises";
import { compile, eventTime, formatProblem, Message, resolveMessage, Simulator, type Resolved } from "../core/index.js";
import { loadJourneyFolder } from "../adapters/journey-files.js";
import { NdjsonWriter } from "./ndjson-writer.js";

/** Options of one simulation. */
export type SimulateOptions = { journeys: string; events: string; until?: number };

/** The events file read: its messages in time order, and the lines it could not take. */
export type EventsRead = { events: Resolved[]; rejected: string[] };

/**
 * Reads and orders the events file. A line that is not JSON or not a valid message is
 * rejected as `file:line: message` and the rest are taken, as ingest takes the rest of a
 * batch. A message repeating an earlier line's `messageId` is skipped, as ingest ignores it.
 * Throws only when the file cannot be read.
 */
export async function readEvents(file: string): Promise<EventsRead> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new EventsError(`${file}: cannot read the events file: ${(e as Error).message}`);
  }
  const out: { r: Resolved; i: number }[] = [];
  const rejected: string[] = [];
  const seen = new Set<string>();
  let lineNo = 0;
  let last: number | undefined;
  for (const line of text.split("\n")) {
    lineNo++;
    if (line.trim() === "") continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      rejected.push(`${file}:${lineNo}: invalid JSON: ${(e as Error).message}`);
      continue;
    }
    const parsed = Message.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? ` at ${issue.path.join(".")}` : "";
      rejected.push(`${file}:${lineNo}: invalid message${where}: ${issue.message}`);
      continue;
    }
    const m = parsed.data;
    // With a receipt time the ingest rule applies (sentAt skew correction); without one the
    // timestamp is taken as it is, and a message without any time follows the previous one.
    const stamp = m.timestamp ?? m.originalTimestamp;
    const at = m.receivedAt !== undefined ? eventTime(m, Date.parse(m.receivedAt)) : stamp !== undefined ? Date.parse(stamp) : last;
    if (at === undefined) {
      rejected.push(`${file}:${lineNo}: the first message needs a timestamp (a message without one follows the one before it)`);
      continue;
    }
    if (m.messageId !== undefined) {
      if (seen.has(m.messageId)) continue;
      seen.add(m.messageId);
    }
    last = at;
    out.push({ r: resolveMessage(m, at), i: out.length });
  }
  out.sort((a, b) => a.r.at - b.r.at || a.i - b.i);
  return { events: out.map((x) => x.r), rejected };
}

/** An unusable events file. */
export class EventsError extends Error {}

/** Runs a simulation; returns the exit code. */
export async function runSimulate(o: SimulateOptions): Promise<number> {
  const load = await loadJourneyFolder(o.journeys);
  if (!load.ok) {
    for (const p of load.problems) process.stderr.write(`${formatProblem(p)}\n`);
    return 1;
  }
  let read: EventsRead;
  try {
    read = await readEvents(o.events);
  } catch (e) {
    if (!(e instanceof EventsError)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
  const { events, rejected } = read;
  for (const line of rejected) process.stderr.write(`${line}\n`);
  const out = new NdjsonWriter(process.stdout);
  const sim = new Simulator(compile(load.definitions), { record: (r) => out.write(r) });
  const tty = process.stderr.isTTY === true;
  const end = o.until ?? events[events.length - 1]?.at ?? -Infinity;
  let i = 0;
  for (const e of events) {
    if (e.at > end) break;
    sim.apply(e);
    if (++i % 10_000 === 0) {
      if (tty) process.stderr.write(`\rsimulate: ${i.toLocaleString()} / ${events.length.toLocaleString()} events`);
      await out.drain();
    }
  }
  if (Number.isFinite(end)) sim.advance(end);
  if (tty && i >= 10_000) process.stderr.write("\n");
  await out.end();
  if (rejected.length === 0) return 0;
  process.stderr.write(`simulate: ${rejected.length} line${rejected.length === 1 ? "" : "s"} rejected; the journal covers the other ${events.length.toLocaleString("en-US")} message${events.length === 1 ? "" : "s"}\n`);
  return 2;
}
