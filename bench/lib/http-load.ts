/**
 * HTTP/1.1 load generators of the HTTP proxy benchmark:
 *
 * - {@link wrk}: the closed-loop peak (Debian's `wrk`, one thread, N keep-alive connections), a
 *   native client so the load generator takes as little of the 2 cores as possible.
 * - {@link openLoop}: a rate-limited open-loop client on raw `node:net` sockets: requests are
 *   issued at a fixed rate on N keep-alive connections (no pipelining), queued when every
 *   connection is busy. Each latency runs from the timer tick that issued the request (requests
 *   fall due continuously and are issued by a 1 ms timer; a request waiting in the queue for a free
 *   connection keeps its issue time, so queueing behind a slow response counts, as in wrk2) to the
 *   last byte of its response.
 */
import { execFile } from "node:child_process";
import { connect, type Socket } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** What one wrk run measured. */
export interface WrkResult {
  readonly rps: number;
  readonly requests: number;
  readonly errors: number;
}

/**
 * Runs `wrk -t1 -cN -dS` against `url` with `method` (a Lua script in `dir` sets it) and reads its
 * summary. Non-2xx answers and socket errors count as errors.
 */
export function wrk(url: string, method: string, connections: number, seconds: number, dir: string): Promise<WrkResult> {
  const script = join(dir, `wrk-${method}.lua`);
  writeFileSync(script, `wrk.method = "${method}"\n`);
  return new Promise((resolve, reject) => {
    execFile(
      "wrk",
      ["-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", "-s", script, url],
      { encoding: "utf8", timeout: (seconds + 20) * 1000, killSignal: "SIGKILL" },
      (e, stdout, stderr) => {
        if (e !== null) {
          const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
          return reject(new Error(missing ? "wrk is not installed: run scripts/setup.sh" : `wrk failed: ${e.message} ${stderr}`));
        }
        const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
        const requests = /(\d+) requests in/.exec(stdout);
        if (rps === null || requests === null) return reject(new Error(`cannot read wrk's output:\n${stdout}`));
        const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
        const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
        const sockErrors = sock === null ? 0 : sock.slice(1).reduce((a, b) => a + Number(b), 0);
        resolve({ rps: Number(rps[1]), requests: Number(requests[1]), errors: non2xx + sockErrors });
      },
    );
  });
}

/** What one open-loop run measured (after its warm-up). */
export interface OpenLoopResult {
  /** Latencies of the requests due in the measured window, in ms. */
  readonly latenciesMs: number[];
  /** Requests per second due in the measured window (the offered rate). */
  readonly offeredRps: number;
  /** Requests per second completed in the measured window. */
  readonly achievedRps: number;
  /** Non-200 answers, requests on broken connections, requests still unanswered at the end. */
  readonly errors: number;
}

export interface OpenLoopOptions {
  readonly port: number;
  readonly request: Buffer;
  readonly rps: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** One keep-alive connection: at most one request outstanding. */
class Conn {
  readonly socket: Socket;
  busy = false;
  stamp = 0;
  #buf: Buffer = Buffer.alloc(0);
  readonly #onDone: (c: Conn, stamp: number, ok: boolean) => void;

  constructor(port: number, onDone: (c: Conn, stamp: number, ok: boolean) => void, onClose: (c: Conn) => void) {
    this.#onDone = onDone;
    this.socket = connect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("data", (d: Buffer) => this.#onData(d));
    this.socket.on("error", () => undefined);
    this.socket.on("close", () => {
      if (this.busy) {
        this.busy = false;
        onDone(this, this.stamp, false);
      }
      onClose(this);
    });
  }

  send(request: Buffer, stamp: number): void {
    this.busy = true;
    this.stamp = stamp;
    this.socket.write(request);
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    const end = this.#buf.indexOf("\r\n\r\n");
    if (end < 0) return;
    const head = this.#buf.toString("latin1", 0, end);
    const m = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
    if (m === null) {
      // The benchmark's upstream always sends Content-Length; anything else is a failure.
      this.socket.destroy();
      return;
    }
    const total = end + 4 + Number(m[1]);
    if (this.#buf.length < total) return;
    const ok = head.startsWith("HTTP/1.1 200 ");
    this.#buf = this.#buf.length === total ? Buffer.alloc(0) : this.#buf.subarray(total);
    this.busy = false;
    // A server that ends the connection: take no more requests on it.
    if (/\r\nconnection:[ \t]*close/i.test(head)) this.socket.end();
    this.#onDone(this, this.stamp, ok);
  }
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Offers `rps` requests per second for `warmupMs + durationMs` (requests issued in the warm-up are
 * not measured), then waits at most 3 s for the answers still due and closes every connection.
 * A connection the server closes is replaced.
 */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const latencies: number[] = [];
  const queue: number[] = [];
  let errors = 0;
  let completed = 0;
  let outstanding = 0;
  let stopping = false;
  const start = nowMs();
  const measureFrom = start + o.warmupMs;
  const end = measureFrom + o.durationMs;
  const idle: Conn[] = [];
  const conns = new Set<Conn>();
  const dispatch = (c: Conn): void => {
    if (c.socket.destroyed || c.socket.writableEnded) return;
    const next = queue.shift();
    if (next !== undefined) c.send(o.request, next);
    else idle.push(c);
  };
  const onDone = (c: Conn, stamp: number, ok: boolean): void => {
    outstanding--;
    if (stamp >= measureFrom) {
      if (ok) {
        latencies.push(nowMs() - stamp);
        completed++;
      } else errors++;
    }
    dispatch(c);
  };
  const open = (): Conn => {
    const c = new Conn(o.port, onDone, onClose);
    conns.add(c);
    return c;
  };
  function onClose(c: Conn): void {
    conns.delete(c);
    const i = idle.indexOf(c);
    if (i >= 0) idle.splice(i, 1);
    if (stopping) return;
    const replacement = open();
    replacement.socket.once("connect", () => dispatch(replacement));
  }
  const first = Array.from({ length: o.connections }, open);
  await Promise.all(first.map((c) => new Promise((resolve) => c.socket.once("connect", resolve))));
  idle.push(...first);

  let issued = 0;
  let measured = 0;
  const maxQueue = o.connections * 1000;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const t = nowMs();
      if (t >= end || queue.length > maxQueue) return resolve();
      // Every request due by now goes out (or into the queue) stamped with this tick's time.
      const target = Math.floor(((t - start) * o.rps) / 1000);
      for (; issued < target; issued++) {
        if (t >= measureFrom) measured++;
        outstanding++;
        const c = idle.pop();
        if (c !== undefined) c.send(o.request, t);
        else queue.push(t);
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  const drainUntil = nowMs() + 3000;
  while (outstanding > 0 && nowMs() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  stopping = true;
  for (const c of conns) c.socket.destroy();
  return {
    latenciesMs: latencies,
    offeredRps: measured / (o.durationMs / 1000),
    achievedRps: completed / (o.durationMs / 1000),
    errors: errors + Math.max(0, measured - completed - errors),
  };
}
