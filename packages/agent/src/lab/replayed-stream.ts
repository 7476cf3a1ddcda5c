import type { Socket } from "node:net";
import { Duplex } from "node:stream";

/**
 * A stream over `socket` that first yields `first` — bytes already read from it — then the rest.
 * HTTP/2 and TLS sessions built on a net.Socket take over its native handle, and bytes already
 * read into JavaScript then depend on what the socket does next: measured on Node 24.21, after
 * `unshift` an HTTP/2 session reported "bad client magic" when the socket was resumed and a
 * session error when it was not, and a TLS session hung when resumed. Over a plain stream they
 * read through JavaScript and miss nothing.
 */
export function replayedStream(socket: Socket, first: Buffer): Duplex {
  const stream = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, callback),
    final: (callback) => {
      socket.end();
      callback();
    },
    destroy: (error, callback) => {
      socket.destroy(error ?? undefined);
      callback(error);
    },
  });
  stream.push(first);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("error", (e) => stream.destroy(e));
  socket.on("close", () => stream.destroy());
  return stream;
}
