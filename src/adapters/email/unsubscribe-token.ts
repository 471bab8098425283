/**
 * One-click unsubscribe tokens: the contact id and an HMAC of it under the deployment
 * secret, so a link names exactly one contact and cannot be forged for another.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

const mac = (secret: Buffer, contact: string) => createHmac("sha256", secret).update(`unsubscribe\n${contact}`).digest();

/** `base64url(contact id).base64url(mac)`. */
export function unsubscribeToken(secret: Buffer, contactId: string): string {
  return `${Buffer.from(contactId, "utf8").toString("base64url")}.${mac(secret, contactId).toString("base64url")}`;
}

/** The contact id of a valid token, else null (checked in constant time). */
export function verifyUnsubscribeToken(secret: Buffer, token: string): string | null {
  const m = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!m) return null;
  const contact = Buffer.from(m[1]!, "base64url").toString("utf8");
  if (contact.length === 0 || Buffer.from(contact, "utf8").toString("base64url") !== m[1]) return null;
  const given = Buffer.from(m[2]!, "base64url");
  const want = mac(secret, contact);
  return given.length === want.length && timingSafeEqual(given, want) ? contact : null;
}

/** The link: `<public url>/v1/unsubscribe/<token>`. */
export function unsubscribeUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, "")}/v1/unsubscribe/${token}`;
}
