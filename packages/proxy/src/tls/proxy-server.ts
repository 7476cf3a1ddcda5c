import { plainDialer } from "../common/dial.ts";
import { ProxyListener, type TcpProxyOptions } from "../common/proxy-listener.ts";
import { TlsConnection } from "./connection.ts";
import type { TlsFlowListener } from "./flow-record.ts";
import { DEFAULT_TLS_PROXY_LIMITS, type TlsProxyLimits } from "./limits.ts";

/** How to run a {@link TlsProxy}. */
export type TlsProxyOptions = TcpProxyOptions<TlsProxyLimits, TlsFlowListener>;

/**
 * The TLS SNI proxy (Cilium's `serverNames`, `policy-semantics.md` §8.6): accepts TCP connections,
 * reads each one's ClientHello, and passes the connection through unchanged when the server name
 * it asks for is allowed; resets it otherwise. It never terminates TLS.
 */
export class TlsProxy extends ProxyListener {
  /** The limits in force. */
  readonly limits: TlsProxyLimits;

  constructor(options: TlsProxyOptions) {
    const limits = { ...DEFAULT_TLS_PROXY_LIMITS, ...options.limits };
    super(
      options.route,
      (socket, route) =>
        new TlsConnection(socket, {
          route,
          policy: options.policy,
          limits,
          onFlow: options.onFlow ?? (() => undefined),
          onError: options.onError ?? (() => undefined),
          dial: options.dial ?? plainDialer,
        }),
    );
    this.limits = limits;
  }
}
