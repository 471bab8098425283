/**
 * Deterministic hashing for splits, holdouts and ids: no randomness anywhere.
 */

/** 32-bit FNV-1a of a string. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * MurmurHash3's 32-bit finaliser: every input bit flips about half the output bits. FNV-1a
 * alone barely moves its high bits for a change in the last characters (two splits named
 * `test-1` and `test-2` would put 98% of contacts in the same variant of both).
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) drawn deterministically from the parts (splits, holdouts). */
export function unitHash(...parts: string[]): number {
  // Two independent, finalised 32-bit hashes give 52 usable bits.
  const s = parts.join("\u0000");
  const a = fmix32(fnv1a(s));
  const b = fmix32(fnv1a(`\u0001${s}`));
  return (a * 2 ** 20 + (b >>> 12)) / 2 ** 52;
}

/** A short stable id (base-36) from the parts: 64 bits of two FNV hashes. */
export function stableId(prefix: string, ...parts: (string | number)[]): string {
  const s = parts.join("\u0000");
  const a = fnv1a(s).toString(36).padStart(7, "0");
  const b = fnv1a(`${s.length}\u0002${s}`).toString(36).padStart(7, "0");
  return `${prefix}_${a}${b}`;
}
