/**
 * One-click unsubscribe tokens: the contact id and an HMAC of it under the deployment
 * secret, so a link names exactly one contact and cannot be forged for another.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const MAC_BYTES = 32;
const B64URL = /^[A-Za-z0-9_-]+$/;

const mac = (secret: Buffer, contactId: string) => createHmac("sha256", secret).update(`unsubscribe\n${contactId}`, "utf8").digest();

/** Decodes base64url only when `s` is the canonical encoding (no padding, no stray bits). */
function decodeCanonical(s: string): Buffer | null {
  if (!B64URL.test(s)) return null;
  const b = Buffer.from(s, "base64url");
  return b.toString("base64url") === s ? b : null;
}

/** The token of `contactId`: `base64url(contactId) + "." + base64url(HMAC-SHA256(secret, "unsubscribe\n" + contactId))`. */
export function unsubscribeToken(secret: Buffer, contactId: string): string {
  return `${Buffer.from(contactId, "utf8").toString("base64url")}.${mac(secret, contactId).toString("base64url")}`;
}

/**
 * The contact id of a valid token, else null: malformed, non-canonical (so a token has one
 * spelling), or a MAC that does not match (compared in constant time).
 */
export function verifyUnsubscribeToken(secret: Buffer, token: string): string | null {
  const parts = token.split(".");
  if (parts.length !== 2) return null;
  const idBytes = decodeCanonical(parts[0]!);
  const given = decodeCanonical(parts[1]!);
  if (!idBytes || !given || given.length !== MAC_BYTES) return null;
  const contactId = idBytes.toString("utf8");
  // Ids that are not valid UTF-8 cannot have been issued by unsubscribeToken.
  if (contactId.length === 0 || !Buffer.from(contactId, "utf8").equals(idBytes)) return null;
  return timingSafeEqual(given, mac(secret, contactId)) ? contactId : null;
}

/** The link: `<publicUrl without trailing slashes>/v1/unsubscribe/<token>`. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/v1/unsubscribe/${token}`;
}
