/**
 * Admin routes of the actions (bearer token): hand-offs by status, audience members (JSON,
 * or CSV streamed for large audiences), dead letters (list, replay, drop) and endpoints
 * (disabled by a 410, re-enabled here). Mount it at `/v1`.
 */
import express, { Router, type Request, type Response } from "express";
import { z } from "zod";
import type { Engine } from "../pipeline/engine.js";
import type { Config } from "../config.js";
import { requireAdmin } from "./auth.js";
import { HttpError, sendInvalid } from "./errors.js";
import { streamAudience } from "./audience-export.js";
import { wantsCsv } from "./csv.js";

/** What the routes need. */
export type ActionsAdminDeps = {
  config: Pick<Config, "WAYMARK_ADMIN_TOKEN">;
  engine: Pick<Engine, "keys" | "redis" | "workspace" | "deadLetters">;
};

const Page = { limit: z.coerce.number().int().min(1).max(1_000).default(100), offset: z.coerce.number().int().min(0).default(0) };
const HandoffQuery = z.object({ status: z.enum(["open", "breached", "resolved", "cancelled"]).default("open"), ...Page });
const DlqQuery = z.object({ name: z.string().max(64).optional(), ...Page });
const Replay = z.union([z.object({ ids: z.array(z.string().min(1)).min(1).max(10_000) }), z.object({ all: z.literal(true) })]);

/** The router. */
export function actionsAdminRouter(d: ActionsAdminDeps): Router {
  const r = Router();
  const auth = requireAdmin(d.config.WAYMARK_ADMIN_TOKEN);
  const json = express.json({ limit: "1mb", type: () => true });
  const k = d.engine.keys;
  const redis = () => d.engine.redis;

  r.get("/handoffs", auth, async (req: Request, res: Response) => {
    const q = HandoffQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(res, "invalid query", q.error.issues);
    const { status, limit, offset } = q.data;
    const [total, ids] = await Promise.all([redis().zcard(k.handoffs(status)), redis().zrevrange(k.handoffs(status), offset, offset + limit - 1)]);
    const pipe = redis().pipeline();
    for (const id of ids) pipe.hgetall(k.handoff(id));
    const rows = ((await pipe.exec()) ?? []).map(([, h]) => h as Record<string, string>).filter((h) => h && h["id"]);
    const handoffs = rows.map((h) => ({
      id: h["id"], status: h["status"], contact: h["contact"], journey: h["journey"], trigger: h["trigger"] || null, team: h["team"],
      owner: h["owner"] || null, openedAt: h["openedAt"], dueAt: h["dueAt"], breachedAt: h["breachedAt"] ?? null,
      resolvedAt: h["resolvedAt"] ?? null, resolvedBy: h["by"] || null, acknowledgedBy: h["acknowledgedBy"] || null, cancelledAt: h["cancelledAt"] ?? null,
    }));
    res.json({ status, total, handoffs });
  });

  r.get("/audiences/:id", auth, async (req: Request<{ id: string }>, res: Response) => {
    const aud = req.params.id;
    const def = d.engine.workspace.audiences?.[aud];
    if (!def) throw new HttpError(404, `no audience "${aud}" is declared in waymark.yaml`);
    await streamAudience(redis(), k, { id: aud, name: def.name ?? aud, csv: wantsCsv(req), now: Date.now() }, res);
  });

  r.get("/dlq", auth, async (req: Request, res: Response) => {
    const q = DlqQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(res, "invalid query", q.error.issues);
    res.json(await d.engine.deadLetters.list(q.data));
  });

  r.get("/dlq/:id", auth, async (req: Request<{ id: string }>, res: Response) => {
    const dl = await d.engine.deadLetters.get(req.params.id);
    if (!dl) throw new HttpError(404, `no dead letter "${req.params.id}"`);
    res.json(dl);
  });

  r.post("/dlq/replay", auth, json, async (req: Request, res: Response) => {
    const b = Replay.safeParse(req.body ?? {});
    if (!b.success) return sendInvalid(res, 'give { "ids": [...] } or { "all": true }', b.error.issues);
    const replayed = await d.engine.deadLetters.replay("ids" in b.data ? b.data.ids : undefined);
    res.json({ success: true, replayed });
  });

  r.delete("/dlq/:id", auth, async (req: Request<{ id: string }>, res: Response) => {
    const n = await d.engine.deadLetters.drop([req.params.id]);
    if (n === 0) throw new HttpError(404, `no dead letter "${req.params.id}"`);
    res.json({ success: true });
  });

  r.get("/endpoints", auth, async (_req: Request, res: Response) => {
    const disabled = await redis().hgetall(k.disabledEndpoints);
    const endpoints = Object.entries(d.engine.workspace.endpoints ?? {}).map(([name, ep]) => ({
      name, url: ep.url, disabled: disabled[name] ? (JSON.parse(disabled[name]) as unknown) : null,
    }));
    res.json({ endpoints });
  });

  r.post("/endpoints/:name/enable", auth, async (req: Request<{ name: string }>, res: Response) => {
    if (!d.engine.workspace.endpoints?.[req.params.name]) throw new HttpError(404, `no endpoint "${req.params.name}" is declared in waymark.yaml`);
    const n = await redis().hdel(k.disabledEndpoints, req.params.name);
    res.json({ success: true, wasDisabled: n > 0 });
  });

  return r;
}
