/**
 * Request ids: an incoming `x-request-id` is honoured when it looks like an id (so a proxy's
 * or a client's id follows the request through our logs), else one is generated; either way
 * it is echoed in the response's `x-request-id` header.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** The request id header. */
export const REQUEST_ID_HEADER = "x-request-id";

const SAFE = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/** pino-http's `genReqId`: the request's id (incoming or new), set on the response too. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === "string" && SAFE.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}
