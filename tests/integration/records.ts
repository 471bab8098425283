// A contact record in its current string form, as the COMMIT script writes it (LUA_CONTACT in
// src/adapters/redis/contact-record.ts): tag, version, journal list count, state length,
// then the state and the journal's open chunk. For tests that set records up by hand.
import { RECORD_TAG } from "../../src/adapters/redis/contact-record.js";

/** The record's bytes. */
export function packRecord(version: number, listRecords: number, state: Buffer, open: Buffer): Buffer {
  const head = Buffer.alloc(13);
  head[0] = RECORD_TAG;
  head.writeUInt32BE(version, 1);
  head.writeUInt32BE(listRecords, 5);
  head.writeUInt32BE(state.length, 9);
  return Buffer.concat([head, state, open]);
}
