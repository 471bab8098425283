/**
 * The contact records this process wrote last (an outcome's write), newest kept, at most
 * `max`: the start of a contact's next outcome, which would otherwise read the record again.
 */
import type { StoredContact } from "../redis/contact-record.js";

/** Records by contact, bounded (the least recently written go first). */
export class RecentRecords {
  private readonly m = new Map<string, StoredContact>();

  constructor(private readonly max = 1_000) {}

  /** Remembers `record` as `contact`'s newest write. */
  set(contact: string, record: StoredContact): void {
    this.m.delete(contact);
    this.m.set(contact, record);
    if (this.m.size > this.max) this.m.delete(this.m.keys().next().value!);
  }

  /**
   * The newer of `read` (the caller's own read) and this process's last write of `contact`,
   * by version (versions only grow): whichever is more likely to be the record as it is now.
   */
  newest(contact: string, read: StoredContact | undefined): StoredContact | undefined {
    const mine = this.m.get(contact);
    if (!mine) return read;
    if (!read) return mine;
    return Number(mine.version) > Number(read.version) ? mine : read;
  }

  /** Contacts remembered. */
  get size(): number {
    return this.m.size;
  }
}
