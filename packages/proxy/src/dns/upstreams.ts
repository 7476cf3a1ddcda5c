import { err, type Result } from "@membrane/engine";
import { upstreamKey, type Dialer, type UdpDialer, type Upstream } from "../common/dial.ts";
import type { Exchanged, ExchangeError } from "./exchange.ts";
import type { DnsProxyLimits } from "./limits.ts";
import { tcpExchange } from "./upstream-tcp.ts";
import { UdpUpstream } from "./upstream-udp.ts";
import type { DnsQuestion } from "./wire-types.ts";

/** How many idle UDP upstream sockets are kept before the idlest are closed. */
const MAX_IDLE_UDP_UPSTREAMS = 64;

/**
 * The upstream side of the proxy: forwards a query to its original server over the protocol it
 * came in on (Cilium keeps the L4 protocol, so a client's TCP retry of a truncated answer goes
 * over TCP). UDP sockets are shared per server; TCP uses one connection per query.
 */
export class Upstreams {
  readonly #limits: DnsProxyLimits;
  readonly #udp = new Map<string, UdpUpstream>();
  readonly #abort = new AbortController();
  readonly #dial: Dialer;
  readonly #dialUdp: UdpDialer;

  constructor(limits: DnsProxyLimits, dial: Dialer, dialUdp: UdpDialer) {
    this.#limits = limits;
    this.#dial = dial;
    this.#dialUdp = dialUdp;
  }

  /** Forwards `query` (bytes, first question) to `target`; the answer comes back with the query's ID. */
  exchange(protocol: "udp" | "tcp", target: Upstream, query: Uint8Array, question: DnsQuestion): Promise<Result<Exchanged, ExchangeError>> {
    if (this.#abort.signal.aborted) return Promise.resolve(err({ kind: "closed" }));
    const { upstreamTimeoutMs, udpAttempts } = this.#limits;
    if (protocol === "tcp") return tcpExchange(target, this.#dial, query, question, upstreamTimeoutMs, this.#abort.signal);
    return this.#udpFor(target).exchange(query, question, upstreamTimeoutMs, udpAttempts);
  }

  #udpFor(target: Upstream): UdpUpstream {
    // One socket per server, mark and source: what the server's datapath judges the query by.
    const key = upstreamKey(target);
    let u = this.#udp.get(key);
    if (u === undefined) {
      this.#evictIdle();
      u = new UdpUpstream(target, this.#dialUdp);
      this.#udp.set(key, u);
    }
    return u;
  }

  /** Closes the longest-idle sockets with nothing in flight once there are too many. */
  #evictIdle(): void {
    if (this.#udp.size < MAX_IDLE_UDP_UPSTREAMS) return;
    const idle = [...this.#udp].filter(([, u]) => u.inFlight === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, u] of idle.slice(0, this.#udp.size - MAX_IDLE_UDP_UPSTREAMS + 1)) {
      u.close();
      this.#udp.delete(key);
    }
  }

  /** Closes every upstream socket; exchanges in flight end as `closed`. */
  close(): void {
    this.#abort.abort();
    for (const u of this.#udp.values()) u.close();
    this.#udp.clear();
  }
}
