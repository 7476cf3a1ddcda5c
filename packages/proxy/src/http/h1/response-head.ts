import type { IncomingMessage } from "node:http";
import { fromRawHeaders, withoutHopByHop, type HeaderList } from "../headers.ts";
import { reasonPhrase } from "../local-reply.ts";
import type { RequestHead } from "./request-head.ts";

/** How an upstream response is written to the client. */
export interface ResponsePlan {
  /** Status line and fields, through the empty line. */
  readonly head: Buffer;
  /** The fields sent (for flow records). */
  readonly headers: HeaderList;
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
export function planResponse(res: IncomingMessage, req: Pick<RequestHead, "method" | "version" | "keepAlive">): ResponsePlan {
  const status = res.statusCode ?? 502;
  const noBody = req.method === "HEAD" || status < 200 || status === 204 || status === 304;
  const headers = withoutHopByHop(fromRawHeaders(res.rawHeaders), false);
  const hasLength = headers.some(([n]) => n === "content-length");
  let closeAfter = !req.keepAlive;
  let chunked = false;
  if (!noBody && !hasLength) {
    if (req.version === "HTTP/1.1") chunked = true;
    else closeAfter = true;
  }
  let text = `HTTP/1.1 ${status} ${reasonOf(res.statusMessage, status)}\r\n`;
  for (const [n, v] of headers) text += `${n}: ${v}\r\n`;
  if (chunked) text += "transfer-encoding: chunked\r\n";
  if (closeAfter) text += "connection: close\r\n";
  else if (req.version === "HTTP/1.0") text += "connection: keep-alive\r\n";
  text += "\r\n";
  return { head: Buffer.from(text, "latin1"), headers, chunked, noBody, closeAfter };
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
export function lastChunk(rawTrailers: readonly string[]): Buffer {
  let text = "0\r\n";
  for (const [n, v] of withoutHopByHop(fromRawHeaders(rawTrailers), false)) {
    if (n !== "content-length") text += `${n}: ${v}\r\n`;
  }
  return Buffer.from(`${text}\r\n`, "latin1");
}
