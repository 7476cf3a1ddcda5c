import { execFile } from "node:child_process";
import { connect } from "node:net";

/** A response as a client saw it. */
export interface ClientResponse {
  readonly status: number;
  /** Lowercase names; the last value of a repeated field. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: string;
  /** The HTTP version of the status line (`1.1`, `2`). */
  readonly version: string;
}

/**
 * Runs curl (`--http1.1` or `--http2-prior-knowledge` among `args`) against a URL and reads its
 * `-i` output. Trailers (HTTP/2) land in the header map too, as curl prints them after the body.
 */
export function curl(args: readonly string[]): Promise<ClientResponse> {
  return new Promise((resolve, reject) => {
    execFile(
      "curl",
      ["-sS", "-i", "--max-time", "5", "--noproxy", "*", ...args],
      { encoding: "latin1", timeout: 8000 },
      (error, stdout, stderr) => {
        if (error !== null) return reject(new Error(`curl ${args.join(" ")} failed: ${error.message} ${stderr}`));
        resolve(parseCurlOutput(stdout));
      },
    );
  });
}

function parseCurlOutput(out: string): ClientResponse {
  let rest = out;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    const head = end < 0 ? rest : rest.slice(0, end);
    const body = end < 0 ? "" : rest.slice(end + 4);
    const lines = head.split("\r\n");
    const m = /^HTTP\/([\d.]+) (\d{3})/.exec(lines[0] ?? "");
    if (m === null) throw new Error(`unexpected curl output: ${JSON.stringify(out.slice(0, 200))}`);
    const status = Number(m[2]);
    if (status === 100) {
      rest = body;
      continue;
    }
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(":");
      if (c > 0) headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
    }
    return { status, headers, body, version: m[1] ?? "" };
  }
}

/** What a raw TCP exchange gave back. */
export interface RawResult {
  /** Every byte received, as latin1 text. */
  readonly data: string;
  /** Whether the proxy closed (or reset) the connection before the wait ended. */
  readonly closed: boolean;
}

/**
 * Opens a TCP connection, writes `chunks` (with `gapMs` between them), half-closes when `end`,
 * and collects what comes back until the proxy closes or `waitMs` passes.
 */
export function rawExchange(
  port: number,
  chunks: readonly (string | Buffer)[],
  options: { readonly end?: boolean; readonly waitMs?: number; readonly gapMs?: number } = {},
): Promise<RawResult> {
  const { end = false, waitMs = 1000, gapMs = 0 } = options;
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    let finished = false;
    const finish = (closed: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(received).toString("latin1"), closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("data", (d: Buffer) => received.push(d));
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("connect", () => {
      void (async () => {
        for (const c of chunks) {
          if (socket.destroyed) return;
          socket.write(typeof c === "string" ? Buffer.from(c, "latin1") : c);
          if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
        }
        if (end && !socket.destroyed) socket.end();
      })();
    });
  });
}
