/**
 * `journeys/waymark.yaml`: workspace settings shared by all journeys.
 */
import { z } from "zod";
import { Duration, Limits, QuietHours, Slug, TimeZone } from "./common.js";

/** A named webhook target. Secrets are `${ENV_NAME}` references, never inline. */
export const Endpoint = z.strictObject({
  // A url naming no ${ENV_NAME} is checked here, with the rest of the file; one that does,
  // once it is substituted (load/definitions.ts).
  url: z.string().min(1).refine((u) => u.includes("${") || /^https?:\/\/[^\s/]+/.test(u), { error: "the url must be an http:// or https:// URL" }),
  secret: z.string().regex(/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/, "secrets are never written inline: use ${ENV_NAME}"),
  headers: z.record(z.string(), z.string()).optional(),
  timeout: Duration.optional().meta({ description: "how long one delivery attempt may take (default 10s)" }),
});
export type Endpoint = z.infer<typeof Endpoint>;

/** A retargeting audience, synced to the listed endpoints. */
export const Audience = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  endpoints: z.array(z.string().min(1)).optional(),
});
export type Audience = z.infer<typeof Audience>;

/** Email settings. */
export const EmailSettings = z.strictObject({
  from: z.string().min(3).optional().meta({ description: "the sender, e.g. \"Acme <hello@acme.example>\"" }),
  sender: z.string().min(3).optional().meta({ description: "the same as from (the contract's word); give one of the two" }),
  replyTo: z.string().optional(),
  templates: z.string().optional().meta({ description: "templates folder, relative to journeys/ (default templates)" }),
}).refine((e) => e.from === undefined || e.sender === undefined, {
  error: "email takes `from` or `sender`, not both",
}).meta({ not: { required: ["from", "sender"] } });
export type EmailSettings = z.infer<typeof EmailSettings>;

/** The default sender, when the workspace names none. */
export const DEFAULT_SENDER = "Waymark <no-reply@waymark.local>";

/** The sender of a workspace's emails (`from`, or its synonym `sender`), if set. */
export function emailSender(e: EmailSettings | undefined): string | undefined {
  return e?.from ?? e?.sender;
}

/** The workspace file. */
export const Workspace = z.strictObject({
  endpoints: z.record(Slug, Endpoint).optional(),
  audiences: z.record(Slug, Audience).optional(),
  email: EmailSettings.optional(),
  limits: Limits.optional(),
  quietHours: QuietHours.optional(),
  timezone: TimeZone.optional(),
}).meta({ title: "Waymark workspace", description: "journeys/waymark.yaml" });
export type Workspace = z.infer<typeof Workspace>;
