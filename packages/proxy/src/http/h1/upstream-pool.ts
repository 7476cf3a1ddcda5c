import type { Socket } from "node:net";
import { upstreamKey, type Dialer, type Upstream } from "../../common/dial.ts";
import type { HeaderList } from "../headers.ts";
import type { ProxyLimits } from "../limits.ts";
import { ChunkedReader, LengthReader } from "./body-reader.ts";
import { ByteAccumulator } from "./byte-accumulator.ts";
import { HeadScanner } from "./head-scanner.ts";
import {
  parseResponseHead,
  responseFraming,
  trailerFields,
  upstreamKeepsAlive,
  type ResponseFraming,
  type UpstreamResponseHead,
} from "./response-head.ts";

/** Idle keep-alive connections kept per upstream address (as `http.Agent`'s `maxFreeSockets`). */
const MAX_IDLE_PER_ADDRESS = 256;

/** What an {@link UpstreamCall} reports, in order: `head`, then `data`…, then `end`; or `fail` at any point. */
export interface UpstreamHandlers {
  /** The final (non-1xx) response head. */
  head(res: UpstreamResponseHead): void;
  /** Response body bytes (views of the socket's chunks). */
  data(chunk: Buffer): void;
  /** The response ended; a chunked body's trailer fields. */
  end(trailers: HeaderList): void;
  /** The upstream failed (connect error, reset, close or a malformed response) before the response ended. */
  fail(code: string | undefined): void;
}

/** One upstream connection, idle in the pool or carrying one call. */
class PooledSocket {
  readonly socket: Socket;
  readonly key: string;
  call: UpstreamCall | null = null;
  /** The connection's response head reader, reset after each head (a call of its own would be garbage per request). */
  readonly scanner: HeadScanner;
  readonly acc = new ByteAccumulator();

  constructor(pool: UpstreamPool, socket: Socket, key: string, responseLimits: ResponseHeadLimits) {
    this.socket = socket;
    this.key = key;
    this.scanner = new HeadScanner(responseLimits);
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      if (this.call !== null) this.call.onData(chunk);
      // An idle connection has nothing to say: bytes now can only be garbage.
      else socket.destroy();
    });
    socket.on("end", () => {
      if (this.call !== null) this.call.onEnd();
      else socket.destroy();
    });
    socket.on("error", (e: NodeJS.ErrnoException) => this.call?.onFail(e.code ?? "ECONNRESET"));
    socket.on("close", () => {
      pool.forget(this);
      this.call?.onFail("ECONNRESET");
    });
  }
}

/**
 * Raw keep-alive HTTP/1.1 connections to upstreams, per address: a connection is reused only
 * after its response ended cleanly (whole request sent, response delimited, no extra bytes, the
 * upstream keeps it open), most recently used first. Idle connections are bounded per address and
 * do not keep the process alive.
 */
export class UpstreamPool {
  readonly #idle = new Map<string, PooledSocket[]>();
  readonly #all = new Set<PooledSocket>();
  readonly #limits: ProxyLimits;
  readonly #responseLimits: ResponseHeadLimits;

  readonly #dial: Dialer;

  constructor(limits: ProxyLimits, dial: Dialer) {
    this.#limits = limits;
    // An upstream is trusted with more fields than a client.
    this.#responseLimits = { ...limits, maxHeaderCount: Math.max(limits.maxHeaderCount, 1000) };
    this.#dial = dial;
  }

  /**
   * Starts a request to `upstream`: `head` (the serialized request head) is sent with the first
   * {@link UpstreamCall.send}, in the same write as the first body bytes. `sink` (the client's
   * socket) is corked while a response chunk is handled, so a response head and its first body
   * bytes leave in one write.
   */
  open(upstream: Upstream, method: string, head: Buffer, chunked: boolean, sink: Socket, handlers: UpstreamHandlers): UpstreamCall {
    const key = upstreamKey(upstream);
    const idle = this.#idle.get(key);
    let ps = idle?.pop();
    // A connection closing (its `close` event not yet run) is skipped.
    while (ps !== undefined && (ps.socket.destroyed || !ps.socket.writable)) ps = idle?.pop();
    if (ps === undefined) {
      const socket = this.#dial(upstream);
      ps = new PooledSocket(this, socket, key, this.#responseLimits);
      this.#all.add(ps);
    } else {
      ps.socket.ref();
    }
    const call = new UpstreamCall(this, ps, method, head, chunked, sink, handlers, this.#limits);
    ps.call = call;
    return call;
  }

  /** Takes back a connection whose exchange ended cleanly. */
  release(ps: PooledSocket): void {
    ps.call = null;
    const s = ps.socket;
    if (s.destroyed || !this.#all.has(ps)) return;
    let idle = this.#idle.get(ps.key);
    if (idle === undefined) {
      idle = [];
      this.#idle.set(ps.key, idle);
    }
    if (idle.length >= MAX_IDLE_PER_ADDRESS) {
      s.destroy();
      return;
    }
    s.resume();
    s.unref();
    idle.push(ps);
  }

  /** Drops a closed connection. */
  forget(ps: PooledSocket): void {
    this.#all.delete(ps);
    const idle = this.#idle.get(ps.key);
    if (idle === undefined) return;
    const i = idle.indexOf(ps);
    if (i >= 0) idle.splice(i, 1);
    if (idle.length === 0) this.#idle.delete(ps.key);
  }

  /** Closes every connection, idle or busy. */
  destroy(): void {
    for (const ps of [...this.#all]) ps.socket.destroy();
    this.#all.clear();
    this.#idle.clear();
  }
}

/** What bounds an upstream's response head. */
type ResponseHeadLimits = ConstructorParameters<typeof HeadScanner>[0];

const CRLF = Buffer.from("\r\n", "latin1");
/** A body up to this size is copied next to the request head, for one write of one buffer. */
const SMALL_BODY = 16 * 1024;
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

type CallState = "head" | "body" | "done";

/** One request/response exchange on a pooled upstream connection. */
export class UpstreamCall {
  readonly #pool: UpstreamPool;
  #ps: PooledSocket | null;
  readonly #method: string;
  #head: Buffer | null;
  readonly #chunked: boolean;
  readonly #sink: Socket;
  readonly #handlers: UpstreamHandlers;
  readonly #limits: ProxyLimits;
  #ended = false;
  #state: CallState = "head";
  #framing: ResponseFraming = { kind: "none" };
  #reader: LengthReader | ChunkedReader | null = null;
  #keepAlive = false;

  constructor(
    pool: UpstreamPool,
    ps: PooledSocket,
    method: string,
    head: Buffer,
    chunked: boolean,
    sink: Socket,
    handlers: UpstreamHandlers,
    limits: ProxyLimits,
  ) {
    this.#pool = pool;
    this.#ps = ps;
    this.#method = method;
    this.#head = head;
    this.#chunked = chunked;
    this.#sink = sink;
    this.#handlers = handlers;
    this.#limits = limits;
  }

  /** Whether the call no longer owns a connection (it ended, failed or was destroyed). */
  get destroyed(): boolean {
    return this.#ps === null;
  }

  /**
   * Sends request body bytes (framed with the chunked coding when the request is chunked), the
   * request head first if not sent yet, and the body's end when `end`; all in one write. `false`
   * when the connection's buffer is full (wait for {@link onceDrain}).
   */
  send(chunks: readonly Buffer[], end: boolean): boolean {
    const ps = this.#ps;
    if (ps === null || this.#ended) return true;
    const s = ps.socket;
    const one = this.#head !== null && !this.#chunked && (chunks.length === 0 || (chunks.length === 1 && chunks[0]!.length <= SMALL_BODY));
    if (one) {
      // The common case, a head and at most one piece of body: one buffer, one write.
      const head = this.#head!;
      this.#head = null;
      if (end) this.#ended = true;
      return s.write(chunks.length === 0 ? head : Buffer.concat([head, chunks[0]!]));
    }
    s.cork();
    if (this.#head !== null) {
      s.write(this.#head);
      this.#head = null;
    }
    for (const c of chunks) {
      if (c.length === 0) continue;
      if (this.#chunked) {
        s.write(`${c.length.toString(16)}\r\n`, "latin1");
        s.write(c);
        s.write(CRLF);
      } else {
        s.write(c);
      }
    }
    if (end) {
      this.#ended = true;
      if (this.#chunked) s.write(LAST_CHUNK);
    }
    s.uncork();
    return !s.writableNeedDrain;
  }

  /** Runs `fn` once the connection can take more request bytes. */
  onceDrain(fn: () => void): void {
    this.#ps?.socket.once("drain", fn);
  }

  /** Stops reading the response (the client is not keeping up). */
  pause(): void {
    this.#ps?.socket.pause();
  }

  resume(): void {
    this.#ps?.socket.resume();
  }

  /** Abandons the exchange and closes its connection; no more events. */
  destroy(): void {
    const ps = this.#ps;
    if (ps === null) return;
    this.#ps = null;
    this.#state = "done";
    ps.call = null;
    ps.socket.destroy();
  }

  // ------------------------------------------------------------------ socket events

  onData(chunk: Buffer): void {
    const sink = this.#sink;
    sink.cork();
    try {
      this.#consume(chunk);
    } finally {
      sink.uncork();
    }
  }

  onEnd(): void {
    if (this.#state === "body" && this.#framing.kind === "close") this.#complete(false, []);
    else this.onFail("ECONNRESET");
  }

  onFail(code: string | undefined): void {
    if (this.#ps === null) return;
    this.destroy();
    this.#handlers.fail(code);
  }

  #consume(input: Buffer): void {
    let buf = input;
    while (buf.length > 0 && this.#ps !== null) {
      if (this.#state === "head") {
        const rest = this.#scanHead(buf);
        if (rest === null) return;
        buf = rest;
        continue;
      }
      if (this.#state !== "body") return this.onFail("EPROTO");
      if (this.#framing.kind === "close") {
        this.#handlers.data(buf);
        return;
      }
      const reader = this.#reader!;
      const step = reader.read(buf);
      if (step.kind === "invalid") return this.onFail("EPROTO");
      for (const c of step.chunks) {
        if (this.#ps === null) return;
        this.#handlers.data(c);
      }
      if (this.#ps === null) return;
      if (reader.done) {
        this.#complete(step.consumed === buf.length, reader instanceof ChunkedReader ? trailerFields(reader.trailerLines) : []);
      }
      return;
    }
  }

  /** Scans response head bytes; the bytes after a complete head, or `null` when more are needed (or it failed). */
  #scanHead(buf: Buffer): Buffer | null {
    if (this.#ps === null) return null;
    const { scanner, acc } = this.#ps;
    let view = buf;
    if (acc.length > 0) {
      acc.append(buf);
      view = acc.view();
    }
    const scan = scanner.scan(view);
    if (scan.kind === "incomplete") {
      if (view === buf) acc.append(buf);
      return null;
    }
    if (scan.kind === "invalid") {
      this.onFail("EPROTO");
      return null;
    }
    const rest = view.subarray(scan.length);
    acc.drop(acc.length);
    scanner.reset();
    const res = parseResponseHead(scan.lines);
    if (res === null || res.status === 101) {
      this.onFail("EPROTO");
      return null;
    }
    // 1xx informational responses (100 Continue …) are not relayed: the proxy answers Expect itself.
    if (res.status < 200) return rest;
    const framing = responseFraming(res, this.#method);
    if (framing === null) {
      this.onFail("EPROTO");
      return null;
    }
    this.#framing = framing;
    this.#keepAlive = upstreamKeepsAlive(res);
    this.#state = "body";
    if (framing.kind === "length") this.#reader = new LengthReader(framing.length);
    else if (framing.kind === "chunked") this.#reader = new ChunkedReader(this.#limits, true);
    this.#handlers.head(res);
    if (this.#ps === null) return null;
    if (framing.kind === "none" || (framing.kind === "length" && framing.length === 0)) {
      this.#complete(rest.length === 0, []);
      return null;
    }
    return rest;
  }

  /** The response ended: the connection goes back to the pool if it is clean, then `end` is reported. */
  #complete(clean: boolean, trailers: HeaderList): void {
    const ps = this.#ps;
    if (ps === null) return;
    this.#ps = null;
    this.#state = "done";
    if (clean && this.#ended && this.#keepAlive && this.#framing.kind !== "close") this.#pool.release(ps);
    else {
      ps.call = null;
      ps.socket.destroy();
    }
    this.#handlers.end(trailers);
  }
}
