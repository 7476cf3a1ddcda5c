/**
 * The process that plays a pod (or a node, or the world) inside its network namespace: small
 * servers on the ports the scenario needs, and a client that opens connections on request. It is
 * started with `nsenter --net=…` and speaks JSON lines: requests on stdin, answers on stdout.
 *
 *   {"id":1,"op":"listen","protocol":"UDP","port":53,"address":"…"} → {"id":1,"ok":true}
 *   {"id":2,"op":"connect","protocol":"UDP","ip":"10.0.0.2","port":53,"timeoutMs":2000,"source":"…"}
 *                                                                  → {"id":2,"ok":false,"error":"ETIMEDOUT"}
 *   {"id":3,"op":"cancel","target":2}                              (answers target 2 with "cancelled")
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
  | { readonly id: number; readonly op: "cancel"; readonly target: number };

const pending = new Map<number, () => void>();

function answer(id: number, error: string | null): void {
  pending.delete(id);
  process.stdout.write(JSON.stringify(error === null ? { id, ok: true } : { id, ok: false, error }) + "\n");
}

/**
 * Serves a port on `address` (default: every address). A UDP server answering a world address must
 * bind it: an unbound socket would answer from the route's source address, which is not a reply.
 */
function listen(id: number, protocol: "TCP" | "UDP", port: number, address = "0.0.0.0"): void {
  if (protocol === "TCP") {
    const server = createServer((s) => {
      s.on("error", () => s.destroy());
      s.end(GREETING);
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
  else pending.get(r.target)?.();
});
process.stdin.on("end", () => process.exit(0));
