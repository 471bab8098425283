/**
 * Packs a commit's journal lines (record JSONs and `~<effect id>` placeholders, in order)
 * into stored entries: consecutive records become one compressed chunk, placeholders stay
 * entries of their own (the action worker replaces them in place). The first chunk absorbs
 * the journal's newest entries when no placeholder stands after them and the result stays
 * within CHUNK_RECORDS, so a contact's journal is a few well-compressed chunks, not a chunk
 * per commit.
 */
import { CHUNK_RECORDS, encodeChunk, entryCount, entryRecords, isPlaceholder } from "../redis/codec.js";

/** What the commit writes to the journal. */
export type JournalWrite = {
  /** Entries to append, oldest first. */
  entries: (Buffer | string)[];
  /** The journal's newest entries as read, to be replaced (the commit checks they are unchanged). */
  replace: Buffer[];
  /** Records the journal gains (placeholders count as one; `replace`'s records are written again). */
  added: number;
};

/**
 * Plans the journal write of `lines` over the journal's newest entries `tail` (oldest
 * first), in chunks of at most `per` records (the journal's bound, when it is smaller).
 */
export function journalWrite(tail: Buffer[], lines: string[], per = CHUNK_RECORDS): JournalWrite {
  const entries: (Buffer | string)[] = [];
  let replace: Buffer[] = [];
  let group: string[] = [];
  const flush = () => {
    for (let i = 0; i < group.length; i += per) entries.push(encodeChunk(group.slice(i, i + per)));
    group = [];
  };
  if (lines.length > 0 && !isPlaceholder(lines[0]!)) {
    let first = 0;
    while (first < lines.length && !isPlaceholder(lines[first]!)) first++;
    // The newest entries after the last placeholder, as many as fit in one chunk with the new records.
    let from = tail.length;
    let count = first;
    while (from > 0 && !isPlaceholder(tail[from - 1]!) && count + entryCount(tail[from - 1]!) <= per) count += entryCount(tail[--from]!);
    if (from < tail.length) {
      replace = tail.slice(from);
      group = replace.flatMap((e) => entryRecords(e));
    }
  }
  for (const line of lines) {
    if (isPlaceholder(line)) {
      flush();
      entries.push(line);
    } else group.push(line);
  }
  flush();
  return { entries, replace, added: lines.length };
}
