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
 *
 * A TCP connection succeeds when the server's greeting arrives (the handshake and data both
 * passed); UDP when the echo comes back (resent every 200 ms); ICMP when `ping` gets its reply.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, connect, type Socket } from "node:net";
import { createInterface } from "node:readline";

export const GREETING = "membrane\n";

type Request =
  | { readonly id: number; readonly op: "listen"; readonly protocol: "TCP" | "UDP"; readonly port: number; readonly address?: string }
  | {
      readonly id: number;
      readonly op: "connect";
      readonly protocol: "TCP" | "UDP" | "ICMP";
      readonly ip: string;
      readonly port: number;
      readonly timeoutMs: number;
      readonly source?: string;
    }
  | { readonly id: number; readonly op: "cancel"; readonly target: number }
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
function listen(id: number, protocol: "TCP" | "UDP", port: number, address = "0.0.0.0"): void {
  if (protocol === "TCP") {
    // The greeting, then an echo of whatever the client sends until it ends (streams use that).
    const server = createServer((s) => {
      s.on("error", () => s.destroy());
      s.write(GREETING);
      s.pipe(s);
    });
    server.on("error", (e) => answer(id, (e as NodeJS.ErrnoException).code ?? e.message));
    server.listen(port, address, () => answer(id, null));
    return;
  }
  const socket = createSocket("udp4");
  socket.on("message", (msg, from) => socket.send(msg, from.port, from.address));
  socket.on("error", (e) => answer(id, (e as NodeJS.ErrnoException).code ?? e.message));
  socket.bind(port, address, () => answer(id, null));
}

function connectTcp(r: Extract<Request, { op: "connect" }>, done: (error: string | null) => void): () => void {
  const s: Socket = connect({ host: r.ip, port: r.port, localAddress: r.source });
  let data = "";
  s.on("data", (d) => {
    data += d.toString();
    if (data.startsWith(GREETING)) {
      done(null);
      s.destroy();
    }
  });
  s.on("error", (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  s.on("close", () => done("ECONNRESET"));
  return () => s.destroy();
}

function connectUdp(r: Extract<Request, { op: "connect" }>, done: (error: string | null) => void): () => void {
  const s: UdpSocket = createSocket("udp4");
  let timer: NodeJS.Timeout | undefined;
  const send = (): void => {
    s.send(GREETING, r.port, r.ip);
    timer = setTimeout(send, 200);
  };
  s.on("message", (msg) => {
    if (msg.toString() === GREETING) done(null);
  });
  s.on("error", (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  s.bind({ address: r.source ?? "0.0.0.0", port: 0 }, send);
  return () => {
    clearTimeout(timer);
    s.close();
  };
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
  stop = r.protocol === "TCP" ? connectTcp(r, done) : r.protocol === "UDP" ? connectUdp(r, done) : ping(r, done);
}

createInterface({ input: process.stdin }).on("line", (line) => {
  const r = JSON.parse(line) as Request;
  if (r.op === "listen") listen(r.id, r.protocol, r.port, r.address);
  else if (r.op === "connect") open(r);
  else if (r.op === "stream") stream(r);
  else if (r.op === "stream-stop") {
    const result = streams.get(r.target)?.stop() ?? { error: "no such stream", sent: 0, echoed: 0 };
    streams.delete(r.target);
    answer(r.id, result.error, { sent: result.sent, echoed: result.echoed });
  } else pending.get(r.target)?.();
});
process.stdin.on("end", () => process.exit(0));
