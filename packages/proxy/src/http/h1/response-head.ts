import { withoutHopByHop, type HeaderList, type ReadonlyHeaders } from "../headers.ts";
import { reasonPhrase } from "../local-reply.ts";
import type { RequestHead } from "./request-head.ts";
import { TCHAR } from "./syntax.ts";

/** How an upstream response is written to the client. */
export interface ResponsePlan {
  /** Status line and fields, through the empty line. */
  readonly head: Buffer;
  /** The fields sent (for flow records). */
  readonly headers: ReadonlyHeaders;
  /** The body is re-framed with the chunked coding (upstream gave no length to an HTTP/1.1 client). */
  readonly chunked: boolean;
  /** The response has no body (HEAD, 1xx, 204, 304). */
  readonly noBody: boolean;
  /** The client connection closes after this response. */
  readonly closeAfter: boolean;
}

/**
 * Plans the response head for the client: the upstream's status and end-to-end fields, framed
 * for the client's connection. A length from upstream is kept; without one, an HTTP/1.1 client
 * gets chunked coding and an HTTP/1.0 client a close-delimited body.
 */
export function planResponse(res: UpstreamResponseHead, req: Pick<RequestHead, "method" | "version" | "keepAlive">): ResponsePlan {
  const status = res.status;
  const noBody = req.method === "HEAD" || status < 200 || status === 204 || status === 304;
  const headers = withoutHopByHop(res.headers, false);
  const hasLength = headers.some(([n]) => n === "content-length");
  let closeAfter = !req.keepAlive;
  let chunked = false;
  if (!noBody && !hasLength) {
    if (req.version === "HTTP/1.1") chunked = true;
    else closeAfter = true;
  }
  let text = `HTTP/1.1 ${status} ${reasonOf(res.reason, status)}\r\n`;
  for (const [n, v] of headers) text += `${n}: ${v}\r\n`;
  if (chunked) text += "transfer-encoding: chunked\r\n";
  if (closeAfter) text += "connection: close\r\n";
  else if (req.version === "HTTP/1.0") text += "connection: keep-alive\r\n";
  text += "\r\n";
  return { head: Buffer.from(text, "latin1"), headers, chunked, noBody, closeAfter };
}

/** An upstream response head as read from the upstream. */
export interface UpstreamResponseHead {
  readonly version: "HTTP/1.0" | "HTTP/1.1";
  readonly status: number;
  readonly reason: string;
  /** All fields as received, names lowercase, values without surrounding whitespace. */
  readonly headers: HeaderList;
}

/** How an upstream response body is delimited. */
export type ResponseFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9][0-9]{2})(?: ([^]*))?$/;

/**
 * Reads a response head's lines (from the {@link HeadScanner}: no control characters, no line
 * folding), strictly: a status line and `name: value` fields with token names. `null` when malformed.
 */
export function parseResponseHead(lines: readonly string[]): UpstreamResponseHead | null {
  const m = STATUS_LINE.exec(lines[0] ?? "");
  if (m === null) return null;
  const headers: HeaderList = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) return null;
    for (let j = 0; j < colon; j++) if (TCHAR[line.charCodeAt(j)] !== 1) return null;
    headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { version: m[1] === "0" ? "HTTP/1.0" : "HTTP/1.1", status: Number(m[2]), reason: m[3] ?? "", headers };
}

/**
 * How the body of `res` (an answer to a `method` request) is delimited (RFC 9112 §6.3); `null`
 * when the framing is contradictory or malformed (both a length and a transfer coding, several
 * or invalid lengths), which a strict client refuses.
 */
export function responseFraming(res: UpstreamResponseHead, method: string): ResponseFraming | null {
  let te: string | null = null;
  let cl: string | null = null;
  for (const [n, v] of res.headers) {
    if (n === "transfer-encoding") te = te === null ? v : `${te},${v}`;
    else if (n === "content-length") {
      if (cl !== null) return null;
      cl = v;
    }
  }
  if (te !== null && cl !== null) return null;
  if (method === "HEAD" || res.status < 200 || res.status === 204 || res.status === 304) return { kind: "none" };
  if (te !== null) {
    const codings = te.split(",").map((c) => c.trim().toLowerCase());
    if (codings.at(-1) !== "chunked") return { kind: "close" };
    return codings.indexOf("chunked") === codings.length - 1 ? { kind: "chunked" } : null;
  }
  if (cl !== null) {
    if (!/^[0-9]{1,15}$/.test(cl)) return null;
    return { kind: "length", length: Number(cl) };
  }
  return { kind: "close" };
}

/** Whether the upstream keeps its connection open after `res` (RFC 9112 §9.3). */
export function upstreamKeepsAlive(res: UpstreamResponseHead): boolean {
  let close = false;
  let keepAlive = false;
  for (const [n, v] of res.headers) {
    if (n !== "connection") continue;
    for (const t of v.split(",")) {
      const o = t.trim().toLowerCase();
      if (o === "close") close = true;
      else if (o === "keep-alive") keepAlive = true;
    }
  }
  return !close && (res.version === "HTTP/1.1" || keepAlive);
}

/** The trailer field lines of a chunked body as fields. */
export function trailerFields(lines: readonly string[]): HeaderList {
  return lines.map((line) => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
  });
}

/** The reason phrase to send: the upstream's when it is clean, else the standard one. */
function reasonOf(message: string | undefined, status: number): string {
  return message !== undefined && /^[\t\x20-\x7e]*$/.test(message) ? message : reasonPhrase(status);
}

/** The size line of one chunk. */
export function chunkSizeLine(length: number): Buffer {
  return Buffer.from(`${length.toString(16)}\r\n`, "latin1");
}

/** The last chunk with the upstream's trailer fields. */
export function lastChunk(trailers: HeaderList): Buffer {
  let text = "0\r\n";
  for (const [n, v] of withoutHopByHop(trailers, false)) {
    if (n !== "content-length") text += `${n}: ${v}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, "latin1");
}
