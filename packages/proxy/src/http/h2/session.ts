import { performServerHandshake, type ServerHttp2Stream } from "node:http2";
import type { Socket } from "node:net";
import type { ServeDeps } from "../serve-deps.ts";
import { serveStream } from "./stream.ts";
import { UpstreamSession } from "./upstream-session.ts";

/**
 * Serves HTTP/2 with prior knowledge (h2c) on one client socket whose first bytes (the preface)
 * were already read. nghttp2 enforces the framing; the proxy bounds the header list (size and
 * count) and concurrent streams, and closes a session idle for `idleTimeoutMs` with no stream open.
 */
export function serveHttp2(socket: Socket, initial: Buffer, deps: ServeDeps): void {
  const limits = deps.limits;
  if (initial.length > 0) socket.unshift(initial);
  const session = performServerHandshake(socket, {
    settings: { maxHeaderListSize: limits.maxHeaderBytes, maxConcurrentStreams: limits.maxConcurrentStreams, enablePush: false },
    // The pseudo-header fields count as entries too.
    maxHeaderListPairs: limits.maxHeaderCount + 5,
    maxSessionRejectedStreams: 100,
    maxSessionInvalidFrames: 100,
  });
  const upstream = new UpstreamSession(deps.route.upstream, deps.dial);
  let open = 0;
  session.on("error", () => undefined);
  session.on("close", () => {
    upstream.destroy();
    if (!socket.destroyed) socket.destroy();
  });
  session.on("stream", (stream: ServerHttp2Stream, _headers: unknown, flags: number, rawHeaders: string[]) => {
    open++;
    stream.once("close", () => open--);
    serveStream(stream, rawHeaders, flags, deps, upstream);
  });
  session.setTimeout(limits.idleTimeoutMs, () => {
    if (open === 0) session.close();
  });
  // The preface must be followed by the client's SETTINGS within the header timeout.
  const handshake = setTimeout(() => session.destroy(), limits.headersTimeoutMs);
  session.once("remoteSettings", () => clearTimeout(handshake));
  session.once("close", () => clearTimeout(handshake));
}
