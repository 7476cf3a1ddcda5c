import type { Socket } from "node:net";

/** The connection preface of HTTP/2 with prior knowledge (RFC 9113 §3.4). */
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** What the first bytes of a connection said. */
export type Sniffed =
  | { readonly kind: "http1" | "http2"; readonly initial: Buffer; readonly ended: boolean }
  | { readonly kind: "none"; readonly reason: "closed" | "timeout" };

/**
 * Reads a connection's first bytes until they either are the HTTP/2 preface or cannot be: one
 * byte suffices for an HTTP/1.1 request (no method starts with `PRI * HTTP/2.0`). The bytes read
 * are handed on with the verdict; the socket is left paused with no listeners of this function.
 * Waiting is bounded: `idleMs` for the first byte, `headersMs` for the rest of the preface.
 */
export function sniffProtocol(socket: Socket, idleMs: number, headersMs: number, done: (s: Sniffed) => void): void {
  let buf = Buffer.alloc(0);
  let timer = setTimeout(() => finish({ kind: "none", reason: "timeout" }), idleMs);
  const onData = (chunk: Buffer): void => {
    if (buf.length === 0) {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ kind: "none", reason: "timeout" }), headersMs);
    }
    buf = Buffer.concat([buf, chunk]);
    const n = Math.min(buf.length, PREFACE.length);
    if (buf.compare(PREFACE, 0, n, 0, n) !== 0) finish({ kind: "http1", initial: buf, ended: false });
    else if (buf.length >= PREFACE.length) finish({ kind: "http2", initial: buf, ended: false });
  };
  const onEnd = (): void => finish(buf.length === 0 ? { kind: "none", reason: "closed" } : { kind: "http1", initial: buf, ended: true });
  const onClose = (): void => finish({ kind: "none", reason: "closed" });
  let finished = false;
  const finish = (s: Sniffed): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.pause();
    socket.off("data", onData);
    socket.off("end", onEnd);
    socket.off("close", onClose);
    done(s);
  };
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("close", onClose);
}
