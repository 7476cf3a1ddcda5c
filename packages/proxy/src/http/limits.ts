/**
 * Bounds on what one client may make the proxy hold or wait for. Requests that break a bound get
 * a local error reply or a closed connection; they are never forwarded.
 */
export interface ProxyLimits {
  /** Request line plus header fields, in bytes (HTTP/1.1), and the header list size (HTTP/2). */
  readonly maxHeaderBytes: number;
  /** Header fields per request (trailers count separately against the same bound). */
  readonly maxHeaderCount: number;
  /** The request line alone, in bytes. */
  readonly maxRequestLineBytes: number;
  /** From the first byte of a request until its header block is complete (slowloris guard). */
  readonly headersTimeoutMs: number;
  /** With no request in flight, or while a request body stalls, a connection is closed after this. */
  readonly idleTimeoutMs: number;
  /** Concurrent streams one HTTP/2 client may open. */
  readonly maxConcurrentStreams: number;
}

/** The limits used where none are given (Envoy's header limits are of the same order). */
export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  maxHeaderBytes: 64 * 1024,
  maxHeaderCount: 100,
  maxRequestLineBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
  maxConcurrentStreams: 100,
};
