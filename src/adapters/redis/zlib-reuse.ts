/**
 * Raw DEFLATE with reused zlib contexts. `deflateRawSync`/`inflateRawSync` set up a new zlib
 * context per call (and, with a dictionary, hash the whole dictionary into it): for the
 * few-KB states and chunks of a commit that fixed cost is most of the time (measured here:
 * 31 us per deflate against a 12 KB dictionary, 20 us with a reused context; 7.8 and
 * 3.4 us per inflate). Node 20 has no public synchronous API over a long-lived context, so
 * this drives the context of a zlib stream object the way Node's own `processChunkSync`
 * does (`_handle.writeSync`, `_writeState`), then resets it (`reset()` restores the
 * dictionary) instead of closing it.
 *
 * It is guarded: the first use checks the result against Node's own functions, and any
 * difference, missing internal or error falls back to `deflateRawSync`/`inflateRawSync` for
 * good (an error is then raised by Node's function itself, with its usual message).
 */
import { constants, createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync, type ZlibOptions } from "node:zlib";

/** Options as the codec passes them: window, memory level and the dictionary. */
export type RawOptions = { windowBits: number; memLevel?: number; dictionary: Buffer };

type Handle = { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void; reset(): void };
type Context = { handle: Handle; state: Uint32Array; failed(): boolean; close(): void };

const OUT = Buffer.allocUnsafe(64 * 1024);
/** Contexts kept, at most (a deployment's dictionaries each need their own; older ones are closed). */
const KEPT = 8;
const deflaters = new Map<string, Context>();
const inflaters = new Map<string, Context>();
const dictIds = new WeakMap<Buffer, number>();
let nextDictId = 0;
/** Per kind: undefined until the first call has been checked against Node's own function. */
const usable: Record<"deflate" | "inflate", boolean | undefined> = { deflate: undefined, inflate: undefined };

function keyOf(o: RawOptions): string {
  let id = dictIds.get(o.dictionary);
  if (id === undefined) dictIds.set(o.dictionary, (id = nextDictId++));
  return `${o.windowBits}/${o.memLevel ?? 8}/${id}`;
}

function open(kind: "deflate" | "inflate", o: RawOptions): Context | undefined {
  const s = (kind === "deflate" ? createDeflateRaw(o as ZlibOptions) : createInflateRaw(o as ZlibOptions)) as unknown as {
    _handle?: Handle | null; _writeState?: Uint32Array; destroyed: boolean; on(ev: "error", f: () => void): void; close(): void;
  };
  const handle = s._handle;
  if (!handle || !(s._writeState instanceof Uint32Array) || typeof handle.writeSync !== "function" || typeof handle.reset !== "function") return undefined;
  // zlib reports an error by destroying the stream (synchronously; the 'error' event follows).
  s.on("error", () => {});
  return { handle, state: s._writeState, failed: () => s.destroyed || !s._handle, close: () => s.close() };
}

function context(pool: Map<string, Context>, kind: "deflate" | "inflate", o: RawOptions): Context | undefined {
  const key = keyOf(o);
  let ctx = pool.get(key);
  if (ctx) {
    pool.delete(key);
    pool.set(key, ctx); // most recently used last
    return ctx;
  }
  ctx = open(kind, o);
  if (!ctx) return undefined;
  pool.set(key, ctx);
  if (pool.size > KEPT) {
    const [oldKey, old] = pool.entries().next().value as [string, Context];
    pool.delete(oldKey);
    old.close();
  }
  return ctx;
}

/** One whole input through a context with Z_FINISH; undefined when the context failed. */
function run(ctx: Context, input: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let inOff = 0, inLen = input.length;
  for (;;) {
    ctx.handle.writeSync(constants.Z_FINISH, input, inOff, inLen, OUT, 0, OUT.length);
    if (ctx.failed()) return undefined;
    const availOut = ctx.state[0]!, availIn = ctx.state[1]!;
    parts.push(Buffer.from(OUT.subarray(0, OUT.length - availOut)));
    if (availOut !== 0) break;
    inOff += inLen - availIn;
    inLen = availIn;
  }
  ctx.handle.reset();
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function through(pool: Map<string, Context>, kind: "deflate" | "inflate", input: Buffer, o: RawOptions): Buffer {
  const plain = () => (kind === "deflate" ? deflateRawSync(input, o) : inflateRawSync(input, o));
  if (usable[kind] === false) return plain();
  const ctx = context(pool, kind, o);
  let out: Buffer | undefined;
  try { out = ctx ? run(ctx, input) : undefined; } catch { out = undefined; }
  if (out === undefined) {
    if (ctx) { pool.delete(keyOf(o)); ctx.close(); }
    else usable[kind] = false;
    return plain(); // Node's own call: the same result, or its error
  }
  if (usable[kind] === undefined) {
    const expected = plain();
    usable[kind] = out.equals(expected);
    return expected;
  }
  return out;
}

/** `deflateRawSync(input, o)`, with a reused context. */
export function deflateRaw(input: Buffer | string, o: RawOptions): Buffer {
  return through(deflaters, "deflate", typeof input === "string" ? Buffer.from(input) : input, o);
}

/** `inflateRawSync(input, o)`, with a reused context. */
export function inflateRaw(input: Buffer, o: RawOptions): Buffer {
  return through(inflaters, "inflate", input, o);
}

/** Whether reused contexts are in use (per kind; undefined before the first call). For tests and diagnostics. */
export function reusing(): Readonly<Record<"deflate" | "inflate", boolean | undefined>> {
  return { ...usable };
}
