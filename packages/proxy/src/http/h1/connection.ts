import type { Socket } from "node:net";
import { isGrpcRequest, toHttpRequest, type HeaderList } from "../headers.ts";
import type { RecordedRequest } from "../flow-recorder.ts";
import { deniedReply, h1ErrorBytes, h1LocalReplyBytes, localReply } from "../local-reply.ts";
import { dispositionOf, verdictFor, type ServeDeps } from "../serve-deps.ts";
import { bodyReaderFor, type BodyReader } from "./body-reader.ts";
import { Deadline } from "../../common/deadline.ts";
import { ByteAccumulator } from "./byte-accumulator.ts";
import { HeadScanner } from "./head-scanner.ts";
import { parseRequestHead, type RequestHead } from "./request-head.ts";
import { planResponse, type UpstreamResponseHead } from "./response-head.ts";
import { ResponseRelay } from "./response-pipe.ts";
import type { UpstreamCall, UpstreamPool } from "./upstream-pool.ts";
import { forwardedHeaders, upstreamRequestHead } from "./upstream-request.ts";

/** One request on the connection, from its head to the end of its response. */
interface Exchange {
  readonly head: RequestHead;
  readonly reader: BodyReader;
  /** Whether the request goes upstream; if not, the proxy answered it and discards its body. */
  readonly forward: boolean;
  /** The fields to forward. */
  readonly headers: HeaderList;
  /**
   * The upstream request, opened once the body's first bytes are known good (or there is no
   * body): a request whose framing breaks at once never reaches the upstream at all.
   */
  upstream: UpstreamCall | null;
  /** Relays the response body, once the response head came. */
  relay: ResponseRelay | null;
  readonly recorded: RecordedRequest;
  readonly start: bigint;
  readonly grpc: boolean;
  bodyDone: boolean;
  responseStarted: boolean;
  responseDone: boolean;
  closeAfter: boolean;
}

/** An exchange whose request was just read; `answered`: the proxy already answered it itself. */
function newExchange(
  request: Pick<Exchange, "head" | "reader" | "forward" | "headers" | "recorded" | "start" | "grpc" | "closeAfter">,
  answered: boolean,
): Exchange {
  return { ...request, upstream: null, relay: null, bodyDone: false, responseStarted: answered, responseDone: answered };
}

/**
 * `head`: reading a request head. `body`: reading its body (forwarding or discarding it).
 * `wait`: the request is read, its response is not done; reading is paused, so a pipelining client
 * is held back by TCP. `closed`: nothing more is read or written but the closing bytes.
 */
type State = "head" | "body" | "wait" | "closed";

type TimerKind = "idle" | "headers" | "body";

/** How long a closing connection keeps discarding input, so the peer reads the last reply before a reset. */
const LINGER_MS = 2000;

const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");

/**
 * Serves HTTP/1.x on one client socket: reads requests with the proxy's own strict parser, decides
 * each with the connection's L7 policy, and forwards allowed ones upstream through `pool`
 * (raw keep-alive connections), streaming bodies both ways with backpressure. Requests are handled one at a time,
 * in order; memory per connection is bounded by the header limit plus one socket read.
 */
export class Http1Connection {
  readonly #socket: Socket;
  readonly #deps: ServeDeps;
  readonly #pool: UpstreamPool;
  readonly #acc = new ByteAccumulator();
  readonly #scanner: HeadScanner;
  #state: State = "head";
  #exchange: Exchange | null = null;
  readonly #deadline: Deadline;
  #timerKind: TimerKind | null = null;
  #pumping = false;
  #drainWait = false;
  #peerEnded = false;

  constructor(socket: Socket, deps: ServeDeps, pool: UpstreamPool) {
    this.#socket = socket;
    this.#deps = deps;
    this.#pool = pool;
    this.#scanner = new HeadScanner(deps.limits);
    const { headersTimeoutMs, idleTimeoutMs } = deps.limits;
    this.#deadline = new Deadline(Math.min(headersTimeoutMs, idleTimeoutMs), () => this.#onTimeout());
  }

  /**
   * Starts serving; `initial` holds bytes already read from the socket (while sniffing the
   * protocol) and `ended` says whether the client has already shut down its side.
   */
  start(initial: Buffer, ended: boolean): void {
    this.#peerEnded = ended;
    const s = this.#socket;
    s.on("data", (chunk: Buffer) => this.#onData(chunk));
    s.on("end", () => {
      this.#peerEnded = true;
      this.#pump();
    });
    s.on("error", () => this.#onClose());
    s.on("close", () => this.#onClose());
    this.#acc.append(initial);
    this.#enterHead();
  }

  // ------------------------------------------------------------------ input

  #onData(chunk: Buffer): void {
    if (this.#state === "closed") return;
    const ex = this.#exchange;
    if (this.#state === "body" && ex !== null && this.#acc.length === 0 && !this.#drainWait) {
      // Fast path: body bytes go out as views of the socket's chunk, without a copy.
      this.#deadline.extend();
      const step = ex.reader.read(chunk);
      if (step.kind === "invalid") return this.#bodyInvalid(ex, step.error.status);
      this.#deliver(ex, step.chunks, step.done);
      this.#acc.append(chunk.subarray(step.consumed));
      if (step.done) this.#bodyDone(ex);
      this.#pump();
      return;
    }
    this.#acc.append(chunk);
    if (this.#state === "body") this.#deadline.extend();
    if (this.#state === "head" && this.#timerKind === "idle") this.#arm("headers");
    this.#pump();
  }

  /** Runs steps until one needs more input or an event; re-entrant calls only ask the loop to go on. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#step());
    } finally {
      this.#pumping = false;
    }
  }

  #step(): boolean {
    switch (this.#state) {
      case "head":
        return this.#stepHead();
      case "body":
        return this.#stepBody();
      case "wait":
      case "closed":
        return false;
    }
  }

  #stepHead(): boolean {
    if (this.#acc.length === 0) {
      if (this.#peerEnded) this.#close(null);
      return false;
    }
    const scan = this.#scanner.scan(this.#acc.view());
    if (scan.kind === "incomplete") {
      if (this.#peerEnded) this.#close(h1ErrorBytes(400));
      else if (this.#timerKind === "idle") this.#arm("headers");
      return false;
    }
    if (scan.kind === "invalid") {
      this.#close(h1ErrorBytes(scan.error.status));
      return false;
    }
    const head = parseRequestHead(scan.lines);
    if (!head.ok) {
      this.#close(h1ErrorBytes(head.error.status));
      return false;
    }
    this.#acc.drop(scan.length);
    this.#begin(head.value);
    return true;
  }

  #stepBody(): boolean {
    const ex = this.#exchange;
    if (ex === null || this.#drainWait) return false;
    if (this.#acc.length > 0) {
      const step = ex.reader.read(this.#acc.view());
      if (step.kind === "invalid") {
        this.#bodyInvalid(ex, step.error.status);
        return false;
      }
      this.#deliver(ex, step.chunks, step.done);
      this.#acc.drop(step.consumed);
      if (step.done) {
        this.#bodyDone(ex);
        return true;
      }
    }
    if (this.#peerEnded && !this.#drainWait) this.#bodyInvalid(ex, 400);
    return false;
  }

  // ------------------------------------------------------------------ exchanges

  #enterHead(): void {
    this.#state = "head";
    this.#exchange = null;
    this.#scanner.reset();
    this.#arm(this.#acc.length === 0 ? "idle" : "headers");
    this.#socket.resume();
    this.#pump();
  }

  #begin(head: RequestHead): void {
    this.#clearTimer();
    const deps = this.#deps;
    const ctx = deps.route.context;
    const verdict = verdictFor(deps, toHttpRequest(head.method, head.path, head.authority, head.headers));
    const recorded: RecordedRequest = { method: head.method, authority: head.authority, path: head.path, protocol: head.version };
    const reader = bodyReaderFor(head.body, deps.limits);
    const grpc = isGrpcRequest(head.headers);
    this.#state = "body";

    if (verdict.kind === "deny") {
      const start = deps.flows.request(ctx, recorded, "DROPPED", head.headers, []);
      // A client waiting for 100 Continue will not send the body it announced: close instead of reading it.
      const closeAfter = !head.keepAlive || (head.expectContinue && !reader.done);
      const reply = deniedReply(grpc);
      this.#socket.write(h1LocalReplyBytes(reply, { close: closeAfter, head: head.method === "HEAD" }));
      deps.flows.response(ctx, recorded, "DROPPED", reply.code, reply.headers, start);
      const ex = newExchange({ head, reader, forward: false, headers: [], recorded, start, grpc, closeAfter }, true);
      this.#exchange = ex;
      if (closeAfter) return this.#close(null);
      if (reader.done) this.#bodyDone(ex);
      else this.#arm("body");
      return;
    }

    const headers = forwardedHeaders(head, verdict.actions);
    const start = deps.flows.request(ctx, recorded, dispositionOf(verdict), headers, verdict.actions);
    const ex = newExchange({ head, reader, forward: true, headers, recorded, start, grpc, closeAfter: !head.keepAlive }, false);
    this.#exchange = ex;
    if (reader.done) {
      const up = this.#open(ex);
      if (up === null) return;
      up.send([], true);
      this.#bodyDone(ex);
      return;
    }
    if (head.expectContinue) this.#socket.write(CONTINUE);
    this.#arm("body");
  }

  /** Opens the upstream request of an exchange; on failure answers 500 and closes. */
  #open(ex: Exchange): UpstreamCall | null {
    const deps = this.#deps;
    const opened = upstreamRequestHead(ex.head, ex.headers);
    if (!opened.ok) {
      const reply = localReply(500, "invalid request after header actions", ex.grpc);
      deps.flows.response(deps.route.context, ex.recorded, "FORWARDED", reply.code, reply.headers, ex.start);
      this.#close(h1LocalReplyBytes(reply, { close: true, head: ex.head.method === "HEAD" }));
      return null;
    }
    const up = this.#pool.open(deps.route.upstream, ex.head.method, opened.value, ex.head.body.kind === "chunked", this.#socket, {
      head: (res) => this.#onResponse(ex, res),
      data: (d) => ex.relay?.data(d),
      end: (trailers) => {
        ex.relay?.end(trailers);
        this.#responseEnded(ex);
      },
      fail: (code) => this.#onUpstreamError(ex, code),
    });
    ex.upstream = up;
    return up;
  }

  /** Hands body data on: upstream (pausing the client when upstream is slow) or nowhere. */
  #deliver(ex: Exchange, chunks: readonly Buffer[], done: boolean): void {
    if (!ex.forward || this.#state === "closed") return;
    if (ex.upstream === null && chunks.length === 0 && !done) return;
    const up = ex.upstream ?? this.#open(ex);
    if (up === null || up.destroyed) return;
    const full = !up.send(chunks, done);
    if (done) return;
    if (full) {
      this.#drainWait = true;
      this.#socket.pause();
      up.onceDrain(() => {
        this.#drainWait = false;
        if (this.#state !== "body") return;
        this.#socket.resume();
        this.#pump();
      });
    }
  }

  #bodyDone(ex: Exchange): void {
    if (this.#state === "closed") return;
    ex.bodyDone = true;
    this.#clearTimer();
    if (ex.responseDone) return this.#finish(ex);
    this.#state = "wait";
    this.#socket.pause();
  }

  #bodyInvalid(ex: Exchange, status: number): void {
    this.#close(ex.responseStarted ? null : h1ErrorBytes(status));
  }

  #finish(ex: Exchange): void {
    if (ex.closeAfter) return this.#close(null);
    if (this.#socket.writableNeedDrain) {
      // The client is not reading its responses: read no more requests until it does.
      this.#state = "wait";
      this.#socket.pause();
      this.#socket.once("drain", () => {
        if (this.#state === "wait") this.#enterHead();
      });
      return;
    }
    this.#enterHead();
  }

  // ------------------------------------------------------------------ responses

  #onResponse(ex: Exchange, res: UpstreamResponseHead): void {
    if (this.#exchange !== ex || this.#state === "closed" || ex.upstream === null) {
      ex.upstream?.destroy();
      return;
    }
    const plan = planResponse(res, ex.head);
    ex.responseStarted = true;
    if (plan.closeAfter) ex.closeAfter = true;
    const s = this.#socket;
    s.write(plan.head);
    this.#deps.flows.response(this.#deps.route.context, ex.recorded, "FORWARDED", res.status, plan.headers, ex.start);
    ex.relay = new ResponseRelay(s, plan, ex.upstream);
  }

  #responseEnded(ex: Exchange): void {
    if (this.#exchange !== ex || this.#state === "closed") return;
    ex.responseDone = true;
    // Upstream answered before the request body ended: the rest of it is not worth reading.
    if (!ex.bodyDone) return this.#close(null);
    this.#finish(ex);
  }

  #onUpstreamError(ex: Exchange, code: string | undefined): void {
    if (this.#exchange !== ex || this.#state === "closed") return;
    // The upstream went away in the middle of the response: the client cannot be told otherwise.
    if (ex.responseStarted) return this.#destroy();
    const reason =
      code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENOTFOUND" ? "connection failure" : "connection termination";
    const reply = localReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, ex.grpc);
    ex.responseStarted = true;
    ex.responseDone = true;
    ex.closeAfter = ex.closeAfter || !ex.bodyDone;
    this.#socket.write(h1LocalReplyBytes(reply, { close: ex.closeAfter, head: ex.head.method === "HEAD" }));
    this.#deps.flows.response(this.#deps.route.context, ex.recorded, "FORWARDED", reply.code, reply.headers, ex.start);
    if (ex.closeAfter) return this.#close(null);
    if (ex.bodyDone) this.#finish(ex);
  }

  // ------------------------------------------------------------------ timers and closing

  #arm(kind: TimerKind): void {
    const limits = this.#deps.limits;
    this.#timerKind = kind;
    this.#deadline.set(kind === "headers" ? limits.headersTimeoutMs : limits.idleTimeoutMs);
  }

  #clearTimer(): void {
    this.#deadline.clear();
    this.#timerKind = null;
  }

  #onTimeout(): void {
    const kind = this.#timerKind;
    this.#timerKind = null;
    if (this.#state === "closed") return;
    if (kind === "idle") return this.#close(null);
    const ex = this.#exchange;
    this.#close(ex !== null && ex.responseStarted ? null : h1ErrorBytes(408));
  }

  /**
   * Ends the connection after `last` (an error reply, say). Input is still read and discarded for
   * a moment: closing a socket with unread input sends a reset that can destroy the reply in flight.
   */
  #close(last: Buffer | null): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#deadline.stop();
    this.#abortUpstream();
    const s = this.#socket;
    if (s.destroyed) return;
    if (last !== null) s.write(last);
    s.end();
    s.resume();
    setTimeout(() => s.destroy(), LINGER_MS).unref();
  }

  #destroy(): void {
    this.#state = "closed";
    this.#deadline.stop();
    this.#abortUpstream();
    this.#socket.destroy();
  }

  #onClose(): void {
    this.#state = "closed";
    this.#deadline.stop();
    this.#abortUpstream();
  }

  #abortUpstream(): void {
    const ex = this.#exchange;
    if (ex !== null && ex.upstream !== null && !(ex.bodyDone && ex.responseDone) && !ex.upstream.destroyed) ex.upstream.destroy();
  }
}
