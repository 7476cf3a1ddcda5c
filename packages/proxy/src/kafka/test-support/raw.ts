import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { RequestFrameReader } from "../framing.ts";
import { decodeRequest } from "../request.ts";

/**
 * Byte-level test peers: an upstream that records what reaches it and answers each request with
 * a bare response (its correlation id, and an optional body), and a client that sends bytes and
 * collects what comes back.
 */

/** One connection the upstream accepted. */
export interface UpstreamConnection {
  /** Every byte received, in order. */
  readonly received: Buffer[];
  /** Whole request frames received (size prefix included). */
  readonly frames: Uint8Array[];
  readonly socket: Socket;
  /** Resolves when the connection is closed. */
  readonly closed: Promise<void>;
}

/** How the upstream answers. */
export interface RawUpstreamOptions {
  /** `auto` answers every frame that expects a response; `manual` answers nothing by itself. */
  readonly mode?: "auto" | "manual";
  /** Delay before each automatic answer, in ms. */
  readonly delayMs?: number;
  /** The body of each automatic answer (default: empty). */
  readonly body?: (frame: Uint8Array) => Uint8Array;
}

export class RawUpstream {
  readonly connections: UpstreamConnection[] = [];
  readonly #server: Server;
  readonly #options: RawUpstreamOptions;

  private constructor(server: Server, options: RawUpstreamOptions) {
    this.#server = server;
    this.#options = options;
    server.on("connection", (s) => this.#accept(s));
  }

  static async start(options: RawUpstreamOptions = {}): Promise<RawUpstream> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new RawUpstream(server, options);
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** Every byte received on every connection. */
  get totalBytes(): number {
    return this.connections.reduce((n, c) => n + c.received.reduce((m, b) => m + b.length, 0), 0);
  }

  /** Every frame received on every connection. */
  get allFrames(): Uint8Array[] {
    return this.connections.flatMap((c) => c.frames);
  }

  #accept(socket: Socket): void {
    socket.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    const conn: UpstreamConnection = { received: [], frames: [], socket, closed };
    this.connections.push(conn);
    const reader = new RequestFrameReader(1 << 30);
    let chain = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      conn.received.push(chunk);
      const r = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      if (!r.ok) return;
      for (const f of r.value) {
        conn.frames.push(f.bytes);
        if (this.#options.mode === "manual") continue;
        chain = chain.then(async () => {
          const d = decodeRequest(f.message);
          if (d.ok && !d.value.expectsResponse) return;
          if ((this.#options.delayMs ?? 0) > 0) await new Promise((res) => setTimeout(res, this.#options.delayMs));
          if (!socket.destroyed) socket.write(response(correlationOf(f.message), this.#options.body?.(f.bytes) ?? new Uint8Array(0)));
        });
      }
    });
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The correlation id of a request message (after its size). */
export function correlationOf(message: Uint8Array): number {
  return new DataView(message.buffer, message.byteOffset, message.length).getInt32(4);
}

/** A response frame: size, correlation id, body. */
export function response(correlationId: number, body: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(4 + body.length, 0);
  out.writeInt32BE(correlationId, 4);
  out.set(body, 8);
  return out;
}

/** What a raw client saw. */
export interface RawResult {
  readonly data: Buffer;
  /** Whether the peer closed the connection before the wait ended. */
  readonly closed: boolean;
}

/**
 * Connects to `port`, writes the chunks (one write each), half-closes when `end` (default), and
 * collects what comes back until the connection closes or `waitMs` passes.
 */
export function rawExchange(
  port: number,
  chunks: readonly Uint8Array[],
  options: { end?: boolean; waitMs?: number } = {},
): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const got: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(got), closed });
    };
    const timer = setTimeout(() => finish(false), options.waitMs ?? 2000);
    socket.on("data", (b: Buffer) => got.push(b));
    socket.on("error", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("connect", () => {
      for (const c of chunks) socket.write(c);
      if (options.end ?? true) socket.end();
    });
  });
}

/** Splits response bytes into frames: correlation id and the message after it. */
export function responsesOf(data: Uint8Array): { correlationId: number; message: Uint8Array }[] {
  const out: { correlationId: number; message: Uint8Array }[] = [];
  let pos = 0;
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  while (pos + 8 <= data.length) {
    const size = view.getInt32(pos);
    if (pos + 4 + size > data.length) break;
    out.push({ correlationId: view.getInt32(pos + 4), message: data.subarray(pos + 4, pos + 4 + size) });
    pos += 4 + size;
  }
  return out;
}

/** Waits until `condition` holds, checking every 5 ms; throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
