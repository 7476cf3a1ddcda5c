/**
 * Bounds on what one client connection may make the Kafka proxy hold or wait for. A client that
 * breaks one is disconnected; nothing of the offending frame is forwarded.
 */
export interface KafkaProxyLimits {
  /** The largest request frame, size prefix excluded (Kafka's `socket.request.max.bytes` is 100 MiB). */
  readonly maxFrameBytes: number;
  /** Requests of one connection awaiting their response; beyond it the proxy stops reading the client. */
  readonly maxInFlight: number;
  /** From the first byte of a request frame until it is complete. */
  readonly frameTimeoutMs: number;
  /** A connection with nothing in flight is closed after this long idle (Kafka's `connections.max.idle.ms`). */
  readonly idleTimeoutMs: number;
  /** How long connecting to the upstream broker may take. */
  readonly connectTimeoutMs: number;
}

/** The limits used where none are given. */
export const DEFAULT_KAFKA_PROXY_LIMITS: KafkaProxyLimits = {
  maxFrameBytes: 100 * 1024 * 1024,
  maxInFlight: 100,
  frameTimeoutMs: 30_000,
  idleTimeoutMs: 600_000,
  connectTimeoutMs: 10_000,
};
