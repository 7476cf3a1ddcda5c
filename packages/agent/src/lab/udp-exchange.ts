/** A UDP request and answer between lab pods. */
import { createSocket } from "node:dgram";
import type { ConnectRequest } from "./pod-protocol.ts";

/**
 * Sends `payload` from the request's source to its address, again every 200 ms (a datagram may be
 * lost, or dropped while a policy change lands), until `outcomeOf` reads an answer: null for
 * answered, a reason string, or undefined for a datagram that is not the answer. Returns the stop.
 */
export function udpExchange(
  r: ConnectRequest,
  payload: Uint8Array | string,
  outcomeOf: (msg: Buffer) => string | null | undefined,
  done: (error: string | null) => void,
): () => void {
  const s = createSocket("udp4");
  let timer: NodeJS.Timeout | undefined;
  const send = (): void => {
    s.send(payload, r.port, r.ip);
    timer = setTimeout(send, 200);
  };
  s.on("message", (msg) => {
    const outcome = outcomeOf(msg);
    if (outcome !== undefined) done(outcome);
  });
  s.on("error", (e) => done((e as NodeJS.ErrnoException).code ?? e.message));
  s.bind({ address: r.source ?? "0.0.0.0", port: 0 }, send);
  return () => {
    clearTimeout(timer);
    s.close();
  };
}
