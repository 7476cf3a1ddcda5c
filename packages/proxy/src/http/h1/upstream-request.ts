import { request, type Agent, type ClientRequest } from "node:http";
import { err, ok, type HeaderAction, type Result } from "@membrane/engine";
import type { Upstream } from "../connection.ts";
import { applyHeaderActions, toHeaderObject, withoutHopByHop, type HeaderList } from "../headers.ts";
import type { RequestHead } from "./request-head.ts";

/**
 * The fields forwarded upstream: end-to-end fields after the rule's header actions, `Host` set to
 * the request's authority, and the body framing restated by the proxy.
 *
 * Why framing is restated last: the proxy decided where this request ends. Header actions (or a
 * client) must not be able to send upstream a `Content-Length` or `Transfer-Encoding` that says
 * otherwise.
 */
export function forwardedHeaders(head: RequestHead, actions: readonly HeaderAction[]): HeaderList {
  // An absolute-form target names the authority, and Host follows it (RFC 9112 §3.2.2).
  const base: HeaderList = withoutHopByHop(head.headers, false).map(([n, v]) => (n === "host" ? ["host", head.authority] : [n, v]));
  const out = applyHeaderActions(base, actions).filter(([n]) => !FRAMING_AND_HOP.has(n));
  if (!out.some(([n]) => n === "host")) out.unshift(["host", head.authority]);
  switch (head.body.kind) {
    case "length":
      out.push(["content-length", String(head.body.length)]);
      break;
    case "chunked":
      out.push(["transfer-encoding", "chunked"]);
      break;
    case "none":
      if (head.headers.some(([n]) => n === "content-length")) out.push(["content-length", "0"]);
      break;
  }
  return out;
}

/** Fields removed again after header actions: framing is the proxy's, and hop-by-hop fields stay out. */
const FRAMING_AND_HOP = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "expect",
  "proxy-connection",
  "trailer",
]);

/** Opens the upstream request; Node refuses field values it cannot send (a header action's, say). */
export function openUpstream(upstream: Upstream, agent: Agent, head: RequestHead, headers: HeaderList): Result<ClientRequest, string> {
  try {
    const req = request({
      host: upstream.host,
      port: upstream.port,
      method: head.method,
      path: head.path,
      headers: toHeaderObject(headers),
      agent,
      setHost: false,
    });
    return ok(req);
  } catch (e) {
    return err((e as Error).message);
  }
}
