/**
 * Bounds on what one client connection may make the TLS SNI proxy hold or wait for before its
 * ClientHello is decided. A client that breaks one is reset; nothing it sent is forwarded.
 */
export interface TlsProxyLimits {
  /** The largest ClientHello message (post-quantum key shares make them a few KiB; 64 KiB is generous). */
  readonly maxHelloBytes: number;
  /** From accepting the connection until its ClientHello is complete (slowloris). */
  readonly helloTimeoutMs: number;
  /** How long connecting to the upstream may take. */
  readonly connectTimeoutMs: number;
  /** A forwarded connection idle in both directions this long is closed. */
  readonly idleTimeoutMs: number;
}

/** The limits used where none are given. */
export const DEFAULT_TLS_PROXY_LIMITS: TlsProxyLimits = {
  maxHelloBytes: 64 * 1024,
  helloTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 3_600_000,
};
