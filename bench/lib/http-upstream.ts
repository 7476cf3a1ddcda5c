/**
 * The HTTP benchmarks' upstream, run as its own process: a raw `node:net` HTTP/1.1 responder that
 * answers every request with `200` and a small body, keeping the connection alive. It reads just
 * enough of each request to find its end (the head, then a `Content-Length` body or a chunked body
 * up to its last chunk), so its own cost per request stays far below a proxy's.
 *
 * `node bench/lib/http-upstream.ts` prints `{"port":N}` once listening on 127.0.0.1; SIGTERM stops it.
 */
import { createServer, type Socket } from "node:net";

const BODY = "landing ok\n";
const RESPONSE = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`, "latin1");
const HEAD_END = Buffer.from("\r\n\r\n", "latin1");
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");
const MAX_HEAD = 64 * 1024;

function serve(socket: Socket): void {
  socket.setNoDelay(true);
  socket.on("error", () => undefined);
  let buf: Buffer = Buffer.alloc(0);
  /** Body bytes still to skip (Content-Length), or -1 while skipping a chunked body. */
  let skip = 0;
  socket.on("data", (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    let pos = 0;
    let answers = 0;
    for (;;) {
      if (skip > 0) {
        const n = Math.min(skip, buf.length - pos);
        skip -= n;
        pos += n;
        if (skip > 0) break;
        answers++;
        continue;
      }
      if (skip < 0) {
        const end = buf.indexOf(LAST_CHUNK, pos);
        if (end < 0) {
          pos = Math.max(pos, buf.length - LAST_CHUNK.length);
          break;
        }
        pos = end + LAST_CHUNK.length;
        skip = 0;
        answers++;
        continue;
      }
      const end = buf.indexOf(HEAD_END, pos);
      if (end < 0) {
        if (buf.length - pos > MAX_HEAD) socket.destroy();
        break;
      }
      const head = buf.toString("latin1", pos, end).toLowerCase();
      pos = end + HEAD_END.length;
      const length = /\r\ncontent-length:[ \t]*(\d+)/.exec(head);
      if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) skip = -1;
      else if (length !== null && Number(length[1]) > 0) skip = Number(length[1]);
      else answers++;
    }
    buf = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos);
    if (answers === 1) socket.write(RESPONSE);
    else if (answers > 1) socket.write(Buffer.concat(Array.from({ length: answers }, () => RESPONSE)));
  });
}

const server = createServer({ noDelay: true }, serve);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
process.once("SIGTERM", () => process.exit(0));
process.once("SIGINT", () => process.exit(0));
