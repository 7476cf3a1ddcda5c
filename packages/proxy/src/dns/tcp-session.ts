import type { Socket } from "node:net";
import type { DnsPeer } from "./context.ts";
import type { DnsProxyLimits } from "./limits.ts";
import type { QueryHandler } from "./query-handler.ts";
import { FrameReader, frame } from "./tcp-framing.ts";

/**
 * One client TCP connection (RFC 7766): length-prefixed queries, several per connection and
 * pipelined (answers go out as they are ready, so possibly out of order — clients match IDs). A
 * malformed query closes the connection. Reading pauses while the connection has its share of
 * queries in flight; an idle connection is closed; a client that half-closes gets its answers,
 * then the end.
 */
export class TcpSession {
  readonly #socket: Socket;
  readonly #handler: QueryHandler;
  readonly #limits: DnsProxyLimits;
  readonly #onError: (message: string) => void;
  readonly #onClose: () => void;
  readonly #reader = new FrameReader();
  readonly #queue: Uint8Array[] = [];
  readonly #peer: DnsPeer;
  #inFlight = 0;
  #ended = false;
  #dead = false;

  constructor(socket: Socket, handler: QueryHandler, limits: DnsProxyLimits, onError: (message: string) => void, onClose: () => void) {
    this.#socket = socket;
    this.#onError = onError;
    this.#handler = handler;
    this.#limits = limits;
    this.#onClose = onClose;
    this.#peer = {
      protocol: "tcp",
      remote: { host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 },
      local: { host: socket.localAddress ?? "", port: socket.localPort ?? 0 },
    };
    socket.setNoDelay(true);
    socket.setTimeout(limits.tcpIdleTimeoutMs, () => {
      if (this.#inFlight === 0 && this.#queue.length === 0) this.destroy();
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("end", () => {
      this.#ended = true;
      this.#maybeFinish();
    });
    socket.on("error", () => this.destroy());
    socket.on("close", () => {
      this.#dead = true;
      this.#onClose();
    });
  }

  #onData(chunk: Buffer): void {
    this.#queue.push(...this.#reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)));
    this.#pump();
  }

  /** Starts queued queries up to the connection's in-flight share; pauses reading while any wait. */
  #pump(): void {
    while (!this.#dead && this.#queue.length > 0 && this.#inFlight < this.#limits.maxInFlightPerConnection) {
      const query = this.#queue.shift()!;
      this.#inFlight++;
      this.#handler.handle(query, this.#peer).then(
        (reply) => {
          this.#inFlight--;
          if (this.#dead) return;
          if (reply === null) return this.destroy();
          this.#socket.write(frame(reply));
          this.#pump();
          this.#maybeFinish();
        },
        (e: unknown) => {
          this.#onError(`tcp query failed: ${String(e)}`);
          this.destroy();
        },
      );
    }
    if (this.#queue.length > 0) this.#socket.pause();
    else if (!this.#ended) this.#socket.resume();
  }

  #maybeFinish(): void {
    if (this.#ended && !this.#dead && this.#inFlight === 0 && this.#queue.length === 0) this.#socket.end();
  }

  /** Ends the connection at once. */
  destroy(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#socket.destroy();
  }
}
