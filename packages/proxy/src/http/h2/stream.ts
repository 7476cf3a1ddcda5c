import {
  constants,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type IncomingHttpStatusHeader,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import type { HeaderAction } from "@membrane/engine";
import type { RecordedRequest } from "../flow-recorder.ts";
import { applyHeaderActions, isGrpcRequest, toHeaderObject, toHttpRequest, withoutHopByHop, type HeaderList } from "../headers.ts";
import { deniedReply, localReply, type LocalReply } from "../local-reply.ts";
import { dispositionOf, verdictFor, type ServeDeps } from "../serve-deps.ts";
import type { UpstreamSession } from "./upstream-session.ts";

const { NGHTTP2_FLAG_END_STREAM, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR, NGHTTP2_NO_ERROR } = constants;

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2) and `host`, which `:authority` replaces. */
const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "host",
  "http2-settings",
]);

/**
 * Serves one HTTP/2 request stream: decides it with the connection's policy, answers a denial
 * itself, and forwards an allowed request on the upstream session, streaming DATA both ways and
 * passing the response's trailers on (gRPC's status lives there).
 */
export function serveStream(
  stream: ServerHttp2Stream,
  rawHeaders: readonly string[],
  flags: number,
  deps: ServeDeps,
  upstream: UpstreamSession,
): void {
  stream.on("error", () => undefined);
  const fields: HeaderList = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) fields.push([rawHeaders[i]!.toLowerCase(), rawHeaders[i + 1]!]);
  const pseudo = (name: string): string | undefined => fields.find(([n]) => n === name)?.[1];
  const regular = fields.filter(([n]) => !n.startsWith(":"));
  const method = pseudo(":method") ?? "";
  const path = pseudo(":path") ?? "";
  const authority = pseudo(":authority") ?? regular.find(([n]) => n === "host")?.[1] ?? "";
  const grpc = isGrpcRequest(regular);
  const recorded: RecordedRequest = { method, authority, path, protocol: "HTTP/2" };
  const ctx = deps.route.context;

  if (method === "CONNECT" || !(path.startsWith("/") || (path === "*" && method === "OPTIONS"))) {
    respondLocally(stream, localReply(400, "Bad Request", grpc));
    return;
  }

  const verdict = verdictFor(deps, toHttpRequest(method, path, authority, regular));
  if (verdict.kind === "deny") {
    const start = deps.flows.request(ctx, recorded, "DROPPED", regular, []);
    const reply = deniedReply(grpc);
    respondLocally(stream, reply, method === "HEAD");
    deps.flows.response(ctx, recorded, "DROPPED", reply.code, reply.headers, start);
    return;
  }

  const forwarded = forwardedFields(regular, verdict.actions);
  const start = deps.flows.request(ctx, recorded, dispositionOf(verdict), forwarded, verdict.actions);
  const session = upstream.get();
  const scheme = pseudo(":scheme") ?? "http";
  const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
  let up: ClientHttp2Stream;
  try {
    if (session === null) throw new Error("the client session is closing");
    up = session.request(
      { ...toHeaderObject(forwarded), ":method": method, ":path": path, ":authority": authority, ":scheme": scheme },
      { endStream },
    );
  } catch {
    // No session (the client's is closing), or Node refused a field value (a header action's).
    const reply =
      session === null
        ? localReply(503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", grpc)
        : localReply(500, "invalid request after header actions", grpc);
    respondLocally(stream, reply);
    deps.flows.response(ctx, recorded, "FORWARDED", reply.code, reply.headers, start);
    return;
  }
  up.on("error", () => undefined);
  if (!endStream) stream.pipe(up);

  let trailers: OutgoingHttpHeaders | null = null;
  up.on("trailers", (t: IncomingHttpHeaders) => {
    trailers = withoutConnectionFields(t);
  });
  up.on("response", (headers: IncomingHttpHeaders & IncomingHttpStatusHeader, responseFlags: number) => {
    if (stream.destroyed || stream.closed) return;
    const done = (responseFlags & NGHTTP2_FLAG_END_STREAM) !== 0;
    const out = withoutConnectionFields(headers);
    try {
      stream.respond(out, { endStream: done, waitForTrailers: !done });
    } catch {
      up.close(NGHTTP2_CANCEL);
      return;
    }
    deps.flows.response(ctx, recorded, "FORWARDED", Number(headers[":status"] ?? 0), toList(out), start);
    if (done) return;
    stream.on("wantTrailers", () => stream.sendTrailers(trailers ?? {}));
    up.pipe(stream);
  });
  up.on("close", () => {
    if (stream.destroyed || stream.closed) return;
    if (!stream.headersSent) {
      const reply = localReply(
        503,
        "upstream connect error or disconnect/reset before headers. reset reason: connection termination",
        grpc,
      );
      respondLocally(stream, reply);
      deps.flows.response(ctx, recorded, "FORWARDED", reply.code, reply.headers, start);
    } else if (up.rstCode !== undefined && up.rstCode !== NGHTTP2_NO_ERROR) {
      stream.close(up.rstCode === NGHTTP2_CANCEL ? NGHTTP2_CANCEL : NGHTTP2_INTERNAL_ERROR);
    }
  });
  stream.on("close", () => {
    if (!up.closed && !up.destroyed) up.close(NGHTTP2_CANCEL);
  });
}

/** Forwarded fields: end-to-end ones after header actions; `te` only as `trailers`. */
function forwardedFields(regular: HeaderList, actions: readonly HeaderAction[]): HeaderList {
  const edited = applyHeaderActions(withoutHopByHop(regular, true), actions);
  return edited.filter(
    ([n, v]) => !CONNECTION_SPECIFIC.has(n) && !n.startsWith(":") && (n !== "te" || v.trim().toLowerCase() === "trailers"),
  );
}

function withoutConnectionFields(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [n, v] of Object.entries(headers)) if (v !== undefined && !CONNECTION_SPECIFIC.has(n) && n !== "te") out[n] = v;
  return out;
}

function toList(headers: OutgoingHttpHeaders): HeaderList {
  const out: HeaderList = [];
  for (const [n, v] of Object.entries(headers)) {
    if (v === undefined || n.startsWith(":")) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.push([n, String(x)]);
  }
  return out;
}

/** Answers a stream with a local reply and discards what the client still sends. */
function respondLocally(stream: ServerHttp2Stream, reply: LocalReply, head = false): void {
  if (stream.destroyed || stream.closed || stream.headersSent) return;
  const headers: OutgoingHttpHeaders = { ":status": reply.status };
  for (const [n, v] of reply.headers) headers[n] = v;
  const body = head ? "" : reply.body;
  try {
    stream.respond(headers, { endStream: body === "" });
    if (body !== "") stream.end(body);
  } catch {
    stream.close(NGHTTP2_INTERNAL_ERROR);
    return;
  }
  stream.resume();
}
