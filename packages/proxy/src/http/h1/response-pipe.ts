import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { chunkSizeLine, lastChunk, type ResponsePlan } from "./response-head.ts";

const CRLF = Buffer.from("\r\n", "latin1");

/**
 * Streams an upstream response body to the client as `plan` frames it (re-chunked or as is),
 * pausing the upstream while the client's socket is full. `end` runs once the body (and a chunked
 * body's trailers) is written; `abort` when the upstream went away before the body ended.
 */
export function pipeResponse(res: IncomingMessage, socket: Socket, plan: ResponsePlan, events: { end(): void; abort(): void }): void {
  let paused = false;
  res.on("data", (d: Buffer) => {
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
    if (!ok && !paused) {
      paused = true;
      res.pause();
      socket.once("drain", () => {
        paused = false;
        res.resume();
      });
    }
  });
  res.on("end", () => {
    if (plan.chunked && !plan.noBody) socket.write(lastChunk(res.rawTrailers));
    events.end();
  });
  res.on("error", () => undefined);
  res.on("close", () => {
    if (!res.complete) events.abort();
  });
}
