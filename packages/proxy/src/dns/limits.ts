/** The DNS proxy's limits and timeouts. */
export interface DnsProxyLimits {
  /** How long one UDP attempt (and a whole TCP exchange) waits for the upstream, in ms. */
  readonly upstreamTimeoutMs: number;
  /** UDP attempts per query (the first send and its retries). */
  readonly udpAttempts: number;
  /** The longest wait for `onAnswer` before the answer goes out anyway (`tofqdns-proxy-response-max-delay`). */
  readonly responseMaxDelayMs: number;
  /** Queries being served at once; more get SERVFAIL (Cilium's `dnsproxy-concurrency-limit`). */
  readonly maxInFlight: number;
  /** Queries one TCP connection may have in flight; beyond it the proxy stops reading that connection. */
  readonly maxInFlightPerConnection: number;
  /** A TCP connection with nothing in flight is closed after this long idle, in ms (RFC 7766 §6.2.3). */
  readonly tcpIdleTimeoutMs: number;
  /** Client TCP connections open at once; more are refused. */
  readonly maxTcpConnections: number;
}

/** Defaults: upstream budget 2 × 2 s (inside a stub resolver's usual 5 s), 100 ms learning delay. */
export const DEFAULT_DNS_PROXY_LIMITS: DnsProxyLimits = {
  upstreamTimeoutMs: 2000,
  udpAttempts: 2,
  responseMaxDelayMs: 100,
  maxInFlight: 4096,
  maxInFlightPerConnection: 64,
  tcpIdleTimeoutMs: 10_000,
  maxTcpConnections: 1024,
};
