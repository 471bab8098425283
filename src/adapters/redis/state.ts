/**
 * Contact state as stored in Redis (JSON in the contact hash's `s` field).
 */
import type { ContactState } from "../../core/index.js";

/** Parses stored state; the feature map becomes a dictionary object (its keys vary by contact). */
export function parseState(json: string): ContactState {
  const s = JSON.parse(json) as ContactState;
  s.f = Object.assign(Object.create(null) as ContactState["f"], s.f);
  return s;
}
