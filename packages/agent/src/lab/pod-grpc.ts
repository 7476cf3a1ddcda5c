/**
 * The gRPC side of a lab pod: a server answering every unary call with the greeting, and the
 * client a `grpc` case makes — HTTP/2 with gRPC's framing (node:http2, the transport gRPC
 * clients use), so the call crosses the proxy's h2c path exactly as a grpc-js client's does.
 */
import { connect as netConnect } from "node:net";
import {
  connect as h2Connect,
  createServer as createH2Server,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from "node:http2";
import { L7_DENIED } from "./pod-protocol.ts";

/** gRPC's length-prefixed message: a compression flag and a 4-byte length. */
function grpcMessage(payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

/** An h2c server that answers any call (method and path alike) with `reply` and grpc-status 0. */
export function grpcServer(reply: string): Http2Server {
  const server = createH2Server();
  server.on("stream", (stream: ServerHttp2Stream) => {
    stream.on("error", () => undefined);
    stream.resume();
    stream.on("end", () => {
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(grpcMessage(Buffer.from(reply)));
    });
  });
  return server;
}

/** Where a call goes: `path` is gRPC's `/package.Service/Method`. */
export interface GrpcCall {
  readonly ip: string;
  readonly port: number;
  readonly source: string | undefined;
  readonly path: string;
}

/** gRPC's PERMISSION_DENIED: what an L7 denial (Envoy's 403 local reply) is to a gRPC client. */
const PERMISSION_DENIED = "7";

/**
 * One unary call with an empty message. Succeeds when the server's `reply` comes back with
 * grpc-status 0; PERMISSION_DENIED is the proxy's denial (Envoy answers a denied gRPC request
 * with a trailers-only response: HTTP 200, grpc-status 7, no message).
 */
export function callGrpc(call: GrpcCall, reply: string, done: (error: string | null) => void): () => void {
  const session = h2Connect(`http://${call.ip}:${call.port}`, {
    createConnection: () => netConnect({ host: call.ip, port: call.port, localAddress: call.source }),
  });
  let settled = false;
  const finish = (error: string | null): void => {
    if (settled) return;
    settled = true;
    done(error);
    session.close();
  };
  session.on("error", (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  const req = session.request({ ":method": "POST", ":path": call.path, "content-type": "application/grpc", te: "trailers" });
  let status = 0;
  let body = Buffer.alloc(0);
  const settle = (fields: IncomingHttpHeaders): void => {
    const grpcStatus = fields["grpc-status"];
    if (grpcStatus === undefined) return;
    if (grpcStatus === "0" && body.subarray(5).toString() === reply) finish(null);
    else if (grpcStatus === PERMISSION_DENIED)
      finish(`${L7_DENIED}: gRPC PERMISSION_DENIED ${grpcMessageText(fields["grpc-message"])}`.trim());
    else finish(`gRPC status ${String(grpcStatus)} (HTTP ${status})`);
  };
  req.on("response", (headers) => {
    status = Number(headers[":status"]);
    settle(headers); // a trailers-only response
  });
  req.on("data", (d: Buffer) => (body = Buffer.concat([body, d])));
  req.on("trailers", settle);
  req.on("end", () => finish(`HTTP ${status} without a gRPC status`));
  req.on("error", (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  req.end(grpcMessage(Buffer.alloc(0)));
  return () => session.destroy();
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec); shown decoded and trimmed. */
function grpcMessageText(value: string | string[] | undefined): string {
  const text = String(value ?? "");
  try {
    return decodeURIComponent(text).trim();
  } catch {
    return text;
  }
}
