import { err, type Result } from "@membrane/engine";
import type { Dialer, Upstream } from "../common/dial.ts";
import { checkAnswer, type Exchanged, type ExchangeError } from "./exchange.ts";
import { FrameReader, frame } from "./tcp-framing.ts";
import type { DnsQuestion } from "./wire-types.ts";

/**
 * Sends one query to an upstream over its own TCP connection and reads the answer (RFC 7766). The
 * whole exchange — connect, send, answer — must finish within `timeoutMs`; `signal` aborts it.
 */
export function tcpExchange(
  target: Upstream,
  dial: Dialer,
  query: Uint8Array,
  question: DnsQuestion,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Result<Exchanged, ExchangeError>> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(err({ kind: "closed" }));
    const socket = dial(target);
    const reader = new FrameReader();
    const clientId = (query[0]! << 8) | query[1]!;
    let done = false;
    const finish = (r: Result<Exchanged, ExchangeError>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(r);
    };
    const onAbort = (): void => finish(err({ kind: "closed" }));
    const timer = setTimeout(() => finish(err({ kind: "timeout" })), timeoutMs);
    signal.addEventListener("abort", onAbort);
    socket.on("connect", () => socket.write(frame(query)));
    socket.on("data", (chunk: Buffer) => {
      for (const f of reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length))) {
        if (f.length < 2 || ((f[0]! << 8) | f[1]!) !== clientId) {
          finish(err({ kind: "malformed", message: "the answer's ID is not the query's" }));
          return;
        }
        const checked = checkAnswer(f, question, clientId);
        // Over a connection of our own there is no one else to answer: a mismatch is a bad answer.
        finish(!checked.ok && checked.error.kind === "mismatch" ? err({ kind: "malformed", message: checked.error.message }) : checked);
        return;
      }
    });
    socket.on("error", (e) => finish(err({ kind: "unreachable", message: e.message })));
    socket.on("close", () => finish(err({ kind: "unreachable", message: "the upstream closed the connection without an answer" })));
  });
}
