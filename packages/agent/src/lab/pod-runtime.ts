/**
 * The process that plays a pod (or a node, or the world) inside its network namespace: small
 * servers on the ports the scenario needs, and a client that opens connections on request. It is
 * started with `nsenter --net=…` and speaks JSON lines: requests on stdin, answers on stdout.
 *
 *   {"id":1,"op":"listen","protocol":"UDP","port":53,"address":"…"} → {"id":1,"ok":true}
 *   {"id":2,"op":"connect","protocol":"UDP","ip":"10.0.0.2","port":53,"timeoutMs":2000,"source":"…"}
 *                                                                  → {"id":2,"ok":false,"error":"ETIMEDOUT"}
 *   {"id":3,"op":"cancel","target":2}                              (answers target 2 with "cancelled")
 *   {"id":4,"op":"stream","ip":"…","port":80,"intervalMs":5}      → {"id":4,"ok":true} once connected; then one
 *                                                                    byte per interval, each echoed by the server
 *   {"id":5,"op":"stream-stop","target":4}                         → {"id":5,"ok":true,"sent":N,"echoed":M} or the
 *                                                                    error that ended the stream
 *   {"id":6,"op":"zone","records":{"api.example.com":"…"}}          → {"id":6,"ok":true}; DNS servers answer those
 *
 * A TCP connection succeeds as its `exchange` says (pod-protocol.ts): by default when the server's
 * greeting arrives (the handshake and data both passed); an HTTP request when the server answers
 * (a proxy's 403 is an L7 denial), and a gRPC call likewise; a Kafka request when the broker stand-in answers (the proxy's
 * own answer is an L7 denial); a TLS one when the greeting arrives inside the handshake (a reset
 * after the ClientHello is the SNI proxy's denial); a DNS query (UDP or TCP) when answered, REFUSED
 * being the DNS proxy's denial. UDP succeeds when the echo comes back (resent every 200 ms); ICMP
 * when `ping` gets its reply.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import { createServer, connect, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { createInterface } from "node:readline";
import type { Duplex } from "node:stream";
import { selfSignedCertificate } from "@membrane/proxy";
import { addToZone, dnsAnswer, isDnsOverTcp, queryDnsTcp, queryDnsUdp, serveDnsTcp } from "./pod-dns.ts";
import { udpExchange } from "./udp-exchange.ts";
import { callGrpc, grpcServer } from "./pod-grpc.ts";
import { replayedStream } from "./replayed-stream.ts";
import { KAFKA_MARKER, L7_DENIED, type ConnectRequest, type Exchange, type ServerKind } from "./pod-protocol.ts";

export const GREETING = "membrane\n";

type Request =
  | { readonly id: number; readonly op: "listen"; readonly protocol: ServerKind; readonly port: number; readonly address?: string }
  | ({ readonly id: number; readonly op: "connect" } & ConnectRequest)
  | { readonly id: number; readonly op: "cancel"; readonly target: number }
  | { readonly id: number; readonly op: "zone"; readonly records: Readonly<Record<string, string>> }
  | { readonly id: number; readonly op: "stream"; readonly ip: string; readonly port: number; readonly intervalMs: number }
  | { readonly id: number; readonly op: "stream-stop"; readonly target: number };

const pending = new Map<number, () => void>();

function answer(id: number, error: string | null, extra: object = {}): void {
  pending.delete(id);
  process.stdout.write(JSON.stringify(error === null ? { id, ok: true, ...extra } : { id, ok: false, error, ...extra }) + "\n");
}

/** Long-lived connections, by the id of the request that opened them. */
const streams = new Map<number, { stop(): { error: string | null; sent: number; echoed: number } }>();

function stream(r: Extract<Request, { op: "stream" }>): void {
  const s: Socket = connect({ host: r.ip, port: r.port });
  let greeted = false;
  let received = "";
  let sent = 0;
  let echoed = 0;
  let error: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  s.on("data", (d) => {
    if (greeted) {
      echoed += d.length;
      return;
    }
    received += d.toString();
    if (!received.startsWith(GREETING)) return;
    greeted = true;
    echoed += received.length - GREETING.length;
    answer(r.id, null);
    timer = setInterval(() => {
      s.write("x");
      sent++;
    }, r.intervalMs);
  });
  s.on("error", (e) => (error ??= (e as NodeJS.ErrnoException).code ?? e.message));
  s.on("close", () => {
    clearInterval(timer);
    error ??= "ECONNRESET";
    if (!greeted) answer(r.id, error);
  });
  streams.set(r.id, {
    stop: () => {
      clearInterval(timer);
      s.destroy();
      return { error, sent, echoed };
    },
  });
}

/**
 * Serves a port on `address` (default: every address). A UDP server answering a world address must
 * bind it: an unbound socket would answer from the route's source address, which is not a reply.
 */
function listen(id: number, protocol: ServerKind, port: number, address = "0.0.0.0"): void {
  const failed = (e: Error): void => answer(id, (e as NodeJS.ErrnoException).code ?? e.message);
  if (protocol === "TCP") {
    const server = createServer(serveTcp);
    server.on("error", failed);
    server.listen(port, address, () => answer(id, null));
    return;
  }
  const socket = createSocket("udp4");
  socket.on("message", (msg, from) => socket.send(dnsAnswer(msg) ?? msg, from.port, from.address));
  socket.on("error", failed);
  socket.bind(port, address, () => answer(id, null));
}

/** The first byte of a TLS ClientHello (a handshake record). */
const TLS_HANDSHAKE_RECORD = 22;

/** How long a TCP server waits for the client to speak first before it greets. */
const CLIENT_FIRST_MS = 100;

const http = createHttpServer((req, res) => {
  req.resume();
  res.end(GREETING);
});

const grpc = grpcServer(GREETING);

/** HTTP/2's client connection preface (RFC 9113 §3.4): a gRPC client's first bytes. */
const H2_PREFACE = "PRI * HTTP/2.0\r\n";

/** The TLS server, made at its first client (its certificate is made then: openssl, ~20 ms). */
let tls: TlsServer | null = null;

/** Greets, then echoes until the client ends. */
function greetAndEcho(s: Duplex): void {
  s.write(GREETING);
  s.pipe(s);
}

/**
 * One TCP port serves every kind of case: a client that speaks first gets an HTTP server (a
 * request line), a gRPC server (HTTP/2's preface), a TLS server (a handshake record: greeting and echo inside TLS), a DNS
 * server (a length-prefixed query) or the Kafka
 * stand-in (anything else); a silent one gets the greeting, then an echo of whatever it sends
 * until it ends (streams use that).
 */
function serveTcp(s: Socket): void {
  s.on("error", () => s.destroy());
  const greet = setTimeout(() => {
    s.removeListener("data", first);
    greetAndEcho(s);
  }, CLIENT_FIRST_MS);
  const first = (d: Buffer): void => {
    clearTimeout(greet);
    const head = d.subarray(0, 64).toString("latin1");
    if (head.startsWith(H2_PREFACE)) {
      grpc.emit("connection", replayedStream(s, d));
      return;
    }
    if (d[0] === TLS_HANDSHAKE_RECORD) {
      (tls ??= createTlsServer(selfSignedCertificate(["membrane-lab"]), greetAndEcho)).emit("connection", replayedStream(s, d));
      return;
    }
    s.pause();
    s.unshift(d);
    if (/^[A-Z]+ \S+ HTTP\//.test(head)) http.emit("connection", s);
    else if (isDnsOverTcp(d)) serveDnsTcp(s);
    else serveKafka(s);
    s.resume();
  };
  s.once("data", first);
}

/**
 * A Kafka broker stand-in: answers every request frame with its correlation id and a marker body.
 * Clients only need to tell the broker's answer from the proxy's; no Kafka client parses it.
 */
function serveKafka(s: Socket): void {
  let buffered = Buffer.alloc(0);
  s.on("data", (d: Buffer) => {
    buffered = Buffer.concat([buffered, d]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
      const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
      buffered = buffered.subarray(4 + frame.length);
      const correlationId = frame.readInt32BE(4);
      const body = Buffer.from(KAFKA_MARKER);
      const out = Buffer.alloc(8 + body.length);
      out.writeInt32BE(4 + body.length, 0);
      out.writeInt32BE(correlationId, 4);
      body.copy(out, 8);
      s.write(out);
    }
  });
}

function connectTcp(r: Extract<Request, { op: "connect" }>, done: (error: string | null) => void): () => void {
  const exchange: Exchange = r.exchange ?? { kind: "greeting" };
  if (exchange.kind === "http") return requestHttp(r, exchange, done);
  if (exchange.kind === "tls") return connectTls(r, exchange, done);
  if (exchange.kind === "grpc") return callGrpc({ ip: r.ip, port: r.port, source: r.source, path: exchange.path }, GREETING, done);
  if (exchange.kind === "dns") return queryDnsTcp(r, exchange, done);
  const s: Socket = connect({ host: r.ip, port: r.port, localAddress: r.source });
  let data = Buffer.alloc(0);
  s.on("connect", () => {
    if (exchange.kind === "handshake") done(null);
    if (exchange.kind === "kafka") s.write(Buffer.from(exchange.request, "base64"));
  });
  s.on("data", (d: Buffer) => {
    data = Buffer.concat([data, d]);
    if (exchange.kind === "greeting" && data.toString().startsWith(GREETING)) done(null);
    if (exchange.kind === "kafka" && data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
      const body = data.subarray(8, 4 + data.readInt32BE(0));
      done(body.toString() === KAFKA_MARKER ? null : `${L7_DENIED}: the Kafka proxy answered the request itself`);
    }
  });
  s.on("error", (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  s.on("close", () => done("ECONNRESET"));
  return () => s.destroy();
}

/**
 * A TLS handshake asking for the exchange's server name (any certificate will do: the case is
 * about reaching the server). A connection reset after it was made, before the handshake ended,
 * is the SNI proxy refusing the ClientHello.
 */
function connectTls(
  r: Extract<Request, { op: "connect" }>,
  x: Extract<Exchange, { kind: "tls" }>,
  done: (error: string | null) => void,
): () => void {
  const tcp = connect({ host: r.ip, port: r.port, localAddress: r.source });
  // An empty name sends no SNI (and keeps Node from sending the address as one).
  const s = tlsConnect({ socket: tcp, servername: x.serverName ?? "", rejectUnauthorized: false });
  let connected = false;
  let secure = false;
  let received = "";
  tcp.on("connect", () => (connected = true));
  s.on("secureConnect", () => (secure = true));
  s.on("data", (d: Buffer) => {
    received += d.toString();
    if (received.startsWith(GREETING)) done(null);
  });
  const failed = (code: string): void =>
    done(connected && !secure && code === "ECONNRESET" ? `${L7_DENIED}: the connection was reset after its ClientHello` : code);
  s.on("error", (e: NodeJS.ErrnoException) => failed(e.code ?? e.message));
  s.on("close", () => failed("ECONNRESET"));
  return () => s.destroy();
}

/** One HTTP/1.1 request; a 403 is the proxy's denial (Envoy's `Access denied`). */
function requestHttp(
  r: Extract<Request, { op: "connect" }>,
  x: Extract<Exchange, { kind: "http" }>,
  done: (error: string | null) => void,
): () => void {
  const req = httpRequest(
    {
      host: r.ip,
      port: r.port,
      localAddress: r.source,
      method: x.method,
      path: x.path,
      agent: false,
      headers: { ...Object.fromEntries(x.headers), host: x.host ?? `${r.ip}:${r.port}`, connection: "close" },
    },
    (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => {
        if (res.statusCode === 200 && body === GREETING) done(null);
        else if (res.statusCode === 403) done(`${L7_DENIED}: HTTP 403 ${body.trim()}`);
        else done(`HTTP ${res.statusCode ?? "?"} ${body.trim()}`);
      });
    },
  );
  req.on("error", (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  req.end();
  return () => req.destroy();
}

function connectUdp(r: Extract<Request, { op: "connect" }>, done: (error: string | null) => void): () => void {
  return udpExchange(r, GREETING, (msg) => (msg.toString() === GREETING ? null : undefined), done);
}

function ping(r: Extract<Request, { op: "connect" }>, done: (error: string | null) => void): () => void {
  const seconds = String(Math.max(1, Math.ceil(r.timeoutMs / 1000)));
  const child: ChildProcess = spawn("ping", ["-n", "-q", "-c", "1", "-W", seconds, ...(r.source ? ["-I", r.source] : []), r.ip], {
    stdio: "ignore",
  });
  child.on("error", (e) => done(e.message));
  child.on("exit", (code) => done(code === 0 ? null : "ETIMEDOUT"));
  return () => child.kill();
}

function open(r: Extract<Request, { op: "connect" }>): void {
  let settled = false;
  let stop = (): void => {};
  const done = (error: string | null): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    stop();
    answer(r.id, error);
  };
  const timer = setTimeout(() => done("ETIMEDOUT"), r.timeoutMs);
  pending.set(r.id, () => done("cancelled"));
  stop =
    r.protocol === "TCP"
      ? connectTcp(r, done)
      : r.protocol === "ICMP"
        ? ping(r, done)
        : r.exchange?.kind === "dns"
          ? queryDnsUdp(r, r.exchange, done)
          : connectUdp(r, done);
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const r = JSON.parse(line) as Request;
  if (r.op === "listen") listen(r.id, r.protocol, r.port, r.address);
  else if (r.op === "connect") open(r);
  else if (r.op === "stream") stream(r);
  else if (r.op === "zone") {
    addToZone(r.records);
    answer(r.id, null);
  } else if (r.op === "stream-stop") {
    const result = streams.get(r.target)?.stop() ?? { error: "no such stream", sent: 0, echoed: 0 };
    streams.delete(r.target);
    answer(r.id, result.error, { sent: result.sent, echoed: result.echoed });
  } else pending.get(r.target)?.();
});
process.stdin.on("end", () => process.exit(0));
