import { randomInt } from "node:crypto";
import type dgram from "node:dgram";
import { err, ok, type Result } from "@membrane/engine";
import type { UdpDialer, Upstream } from "../common/dial.ts";
import { checkAnswer, type Exchanged, type ExchangeError } from "./exchange.ts";
import type { DnsQuestion } from "./wire-types.ts";

interface Pending {
  readonly question: DnsQuestion;
  readonly originalId: number;
  readonly resolve: (r: Result<Exchanged, ExchangeError>) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One upstream server over UDP: a connected socket shared by all queries to it (so only that
 * server's datagrams are read, and ICMP "port unreachable" surfaces as an error), each query sent
 * with a fresh random ID that is swapped back on the answer (as Cilium does), resent on timeout.
 */
export class UdpUpstream {
  readonly target: Upstream;
  readonly #socket: dgram.Socket;
  readonly #ready: Promise<Result<void, string>>;
  readonly #pending = new Map<number, Pending>();
  #closed = false;
  /** When the last query started (ms, monotonic enough for idling). */
  lastUsed = Date.now();

  constructor(target: Upstream, dial: UdpDialer) {
    this.target = target;
    this.#socket = dial(target);
    this.#socket.on("message", (m) => this.#onMessage(m));
    this.#socket.on("error", (e) => this.#failAll({ kind: "unreachable", message: e.message }));
    this.#ready = new Promise((resolve) => {
      this.#socket.connect(target.port, target.host, (e?: Error) => resolve(e ? err(e.message) : ok(undefined)));
    });
  }

  /** Queries in flight. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /**
   * Sends `query` (its bytes and decoded first question) and waits for the matching answer: up to
   * `attempts` sends, `timeoutMs` apart. The answer's bytes come back with the query's own ID.
   */
  async exchange(query: Uint8Array, question: DnsQuestion, timeoutMs: number, attempts: number): Promise<Result<Exchanged, ExchangeError>> {
    this.lastUsed = Date.now();
    const ready = await this.#ready;
    if (!ready.ok) return err({ kind: "unreachable", message: ready.error });
    if (this.#closed) return err({ kind: "closed" });
    if (this.#pending.size >= 0xffff) return err({ kind: "unreachable", message: "no free query ID" });
    let id = randomInt(0, 0x10000);
    while (this.#pending.has(id)) id = (id + 1) & 0xffff;
    const out = query.slice();
    out[0] = id >> 8;
    out[1] = id & 0xff;
    return new Promise((resolve) => {
      const pending: Pending = { question, originalId: (query[0]! << 8) | query[1]!, resolve, timer: undefined };
      this.#pending.set(id, pending);
      let left = attempts;
      const attempt = (): void => {
        if (left-- <= 0) return this.#settle(id, err({ kind: "timeout" }));
        try {
          this.#socket.send(out, (e) => {
            if (e) this.#settle(id, err({ kind: "unreachable", message: e.message }));
          });
        } catch (e) {
          return this.#settle(id, err({ kind: "unreachable", message: String(e) }));
        }
        pending.timer = setTimeout(attempt, timeoutMs);
      };
      attempt();
    });
  }

  #onMessage(m: Buffer): void {
    if (m.length < 2) return;
    const id = (m[0]! << 8) | m[1]!;
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    const checked = checkAnswer(new Uint8Array(m.buffer, m.byteOffset, m.length), pending.question, pending.originalId);
    // An answer to another question is not ours (a spoof or a confused server): keep waiting.
    if (!checked.ok && checked.error.kind === "mismatch") return;
    this.#settle(id, checked);
  }

  #settle(id: number, r: Result<Exchanged, ExchangeError>): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.#pending.delete(id);
    pending.resolve(r);
  }

  #failAll(e: ExchangeError): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, err(e));
  }

  /** Closes the socket; queries in flight end as `closed`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll({ kind: "closed" });
    this.#socket.close();
  }
}
