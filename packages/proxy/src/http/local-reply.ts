import { STATUS_CODES } from "node:http";

/**
 * Replies the proxy makes itself: denials exactly as Cilium's Envoy sends them, and errors.
 *
 * Cilium's filter answers a denied request with `sendLocalReply(403, "Access denied\r\n")`. Envoy
 * turns a local reply to a gRPC request into a trailers-only gRPC response: `:status 200`,
 * `content-type: application/grpc`, `grpc-status` mapped from the HTTP code (403 → 7,
 * PERMISSION_DENIED) and the body, percent-encoded, as `grpc-message`.
 */

/** The body of a denial. */
export const ACCESS_DENIED_BODY = "Access denied\r\n";

/** HTTP status → gRPC status, as gRPC's HTTP mapping and Envoy's `httpToGrpcStatus` have it. */
export function grpcStatusOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

/** Percent-encodes a `grpc-message` value (every byte outside `' '`..`'~'`, and `%`). */
export function percentEncodeGrpcMessage(text: string): string {
  let out = "";
  for (const b of Buffer.from(text, "utf8")) {
    if (b < 0x20 || b > 0x7e || b === 0x25) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** A local reply in protocol-neutral form: status, fields (lowercase) and body. */
export interface LocalReply {
  /** The status the client gets (200 for a gRPC trailers-only reply). */
  readonly status: number;
  /** The status the reply stands for, as flow records report it. */
  readonly code: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
}

/** The reply to a request answered locally with `code` and `body`; gRPC calls get a trailers-only reply. */
export function localReply(code: number, body: string, grpc: boolean): LocalReply {
  if (grpc) {
    const headers: [string, string][] = [
      ["content-type", "application/grpc"],
      ["grpc-status", String(grpcStatusOf(code))],
    ];
    if (body !== "") headers.push(["grpc-message", percentEncodeGrpcMessage(body)]);
    return { status: 200, code, headers, body: "" };
  }
  const headers: [string, string][] = [];
  if (body !== "") {
    headers.push(["content-length", String(Buffer.byteLength(body))]);
    headers.push(["content-type", "text/plain"]);
  }
  return { status: code, code, headers, body };
}

/** The denial of a request. */
export function deniedReply(grpc: boolean): LocalReply {
  return localReply(403, ACCESS_DENIED_BODY, grpc);
}

/** The reason phrase of a status. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? "Unknown";
}

/**
 * A local reply serialised for HTTP/1.1. `close` adds `connection: close`; `head` leaves the body
 * out (a HEAD request).
 */
export function h1LocalReplyBytes(reply: LocalReply, options: { readonly close: boolean; readonly head: boolean }): Buffer {
  let text = `HTTP/1.1 ${reply.status} ${reasonPhrase(reply.status)}\r\n`;
  for (const [n, v] of reply.headers) text += `${n}: ${v}\r\n`;
  if (reply.body === "" && !reply.headers.some(([n]) => n === "content-length")) text += "content-length: 0\r\n";
  text += `date: ${new Date().toUTCString()}\r\n`;
  if (options.close) text += "connection: close\r\n";
  text += "\r\n";
  if (!options.head) text += reply.body;
  return Buffer.from(text, "latin1");
}

/** A bare error reply for a request the proxy could not read (always closes the connection). */
export function h1ErrorBytes(status: number): Buffer {
  return h1LocalReplyBytes(localReply(status, reasonPhrase(status), false), { close: true, head: false });
}
