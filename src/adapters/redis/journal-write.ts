/**
 * Packs a commit's journal lines (record JSONs and `~<effect id>` placeholders, in order)
 * onto the journal's open chunk, kept in the contact record (contact-record.ts): the lines
 * join the open chunk's; every full chunk of the oldest ones is sealed (appended to the
 * journal list); the rest stay open. Placeholders sit inside chunks like records, so a
 * contact's newest records are one well-compressed chunk however many sends are pending.
 */
import { CHUNK_RECORDS, encodeChunk, entryLines, type Dictionary } from "./codec.js";

/** What a commit writes to the journal. */
export type JournalWrite = {
  /** Chunks to append to the journal list, oldest first. */
  sealed: Buffer[];
  /** Lines (records and placeholders) in `sealed`. */
  sealedLines: number;
  /** The new open chunk (empty when it holds nothing). */
  open: Buffer;
  /** Lines in `open`. */
  openLines: number;
};

/** The lines of an open chunk as read (none for an empty or absent one). */
export function openLines(open: Buffer | null): string[] {
  return open && open.length > 0 ? entryLines(open) : [];
}

/**
 * Plans the journal write of `lines` over the open chunk as read, in chunks of at most `per`
 * records (the journal's bound, when it is smaller), compressed against `dict` (codec.ts).
 * With no lines the open chunk is kept byte for byte.
 */
export function journalWrite(open: Buffer | null, lines: string[], per = CHUNK_RECORDS, dict?: Dictionary): JournalWrite {
  const before = openLines(open);
  if (lines.length === 0) return { sealed: [], sealedLines: 0, open: open ?? Buffer.alloc(0), openLines: before.length };
  const all = before.length === 0 ? lines : [...before, ...lines];
  const sealed: Buffer[] = [];
  let from = 0;
  while (all.length - from > per) {
    sealed.push(encodeChunk(all.slice(from, from + per), dict));
    from += per;
  }
  return { sealed, sealedLines: from, open: encodeChunk(from === 0 ? all : all.slice(from), dict), openLines: all.length - from };
}
