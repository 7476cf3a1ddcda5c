import type { Socket } from "node:net";
import type { HeaderList } from "../headers.ts";
import { chunkSizeLine, lastChunk, type ResponsePlan } from "./response-head.ts";
import type { UpstreamCall } from "./upstream-pool.ts";

const CRLF = Buffer.from("\r\n", "latin1");

/**
 * Writes upstream response body bytes to the client as `plan` frames them (re-chunked or as is),
 * pausing the upstream while the client's socket is full.
 */
export class ResponseRelay {
  readonly #socket: Socket;
  readonly #plan: ResponsePlan;
  readonly #call: UpstreamCall;
  #paused = false;

  constructor(socket: Socket, plan: ResponsePlan, call: UpstreamCall) {
    this.#socket = socket;
    this.#plan = plan;
    this.#call = call;
  }

  /** Relays one piece of body. */
  data(d: Buffer): void {
    const plan = this.#plan;
    const socket = this.#socket;
    if (plan.noBody || d.length === 0 || socket.destroyed) return;
    let ok: boolean;
    if (plan.chunked) {
      socket.cork();
      socket.write(chunkSizeLine(d.length));
      socket.write(d);
      ok = socket.write(CRLF);
      socket.uncork();
    } else {
      ok = socket.write(d);
    }
    if (!ok && !this.#paused) {
      this.#paused = true;
      this.#call.pause();
      socket.once("drain", () => {
        this.#paused = false;
        this.#call.resume();
      });
    }
  }

  /** Ends the body (a chunked body with the upstream's trailer fields). */
  end(trailers: HeaderList): void {
    if (this.#plan.chunked && !this.#plan.noBody && !this.#socket.destroyed) this.#socket.write(lastChunk(trailers));
  }
}
