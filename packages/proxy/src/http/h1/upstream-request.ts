import { err, ok, type HeaderAction, type Result } from "@membrane/engine";
import { applyHeaderActions, withoutHopByHop, type HeaderField, type HeaderList } from "../headers.ts";
import type { RequestHead } from "./request-head.ts";
import { isToken } from "./syntax.ts";

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
  const kept = withoutHopByHop(head.headers, false);
  const base = kept.some(([n, v]) => n === "host" && v !== head.authority)
    ? kept.map(([n, v]): HeaderField => (n === "host" ? ["host", head.authority] : [n, v]))
    : kept;
  const out = (actions.length === 0 ? base : applyHeaderActions(base, actions)).filter(([n]) => !FRAMING_AND_HOP.has(n));
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

/** Methods whose requests carry no body by default (Node's `useChunkedEncodingByDefault` is false for them). */
const BODYLESS_METHODS = new Set(["GET", "HEAD", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

/** Field values that can be sent: HTAB, visible ASCII, SP and obs-text (as Node checks them). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * Serializes the request head sent upstream (keep-alive); refuses, as Node's client does, field
 * names that are not tokens and field values it cannot send (a header action's, say).
 */
export function upstreamRequestHead(head: RequestHead, headers: HeaderList): Result<Buffer, string> {
  let text = `${head.method} ${head.path} HTTP/1.1\r\n`;
  let framed = false;
  for (const [n, v] of headers) {
    if (!isToken(n)) return err(`Header name must be a valid HTTP token ["${n}"]`);
    if (INVALID_VALUE.test(v)) return err(`Invalid character in header content ["${n}"]`);
    if (n === "content-length" || n === "transfer-encoding") framed = true;
    text += `${n}: ${v}\r\n`;
  }
  // Node's client states an empty body of a method that may have one.
  if (!framed && head.body.kind === "none" && !BODYLESS_METHODS.has(head.method)) text += "content-length: 0\r\n";
  text += "connection: keep-alive\r\n\r\n";
  return ok(Buffer.from(text, "latin1"));
}
