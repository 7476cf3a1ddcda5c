import { plainDialer } from "../common/dial.ts";
import { ProxyListener, type TcpProxyOptions } from "../common/proxy-listener.ts";
import { RequestDecider } from "./decide.ts";
import type { FlowListener } from "./flow-record.ts";
import { FlowRecorder } from "./flow-recorder.ts";
import { Http1Connection } from "./h1/index.ts";
import { UpstreamPool } from "./h1/upstream-pool.ts";
import { serveHttp2 } from "./h2/index.ts";
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from "./limits.ts";
import type { ServeDeps } from "./serve-deps.ts";
import { sniffProtocol } from "./sniff.ts";

/** How to run an {@link HttpProxy} (it reports no errors: failures are answered to the client). */
export type HttpProxyOptions = Omit<TcpProxyOptions<ProxyLimits, FlowListener>, "onError">;

/**
 * The HTTP L7 proxy: accepts TCP connections, tells HTTP/2 prior knowledge (h2c, so gRPC) from
 * HTTP/1.x by the first bytes, and enforces the connection's L7 policy on every request. Allowed
 * requests go to the route's upstream; denied ones get Envoy's `403 Access denied` and never
 * reach it.
 */
export class HttpProxy extends ProxyListener {
  /** The limits in force. */
  readonly limits: ProxyLimits;
  readonly #pool: UpstreamPool;

  constructor(options: HttpProxyOptions) {
    const limits = { ...DEFAULT_PROXY_LIMITS, ...options.limits };
    const decider = new RequestDecider();
    const flows = new FlowRecorder(options.onFlow ?? null);
    const dial = options.dial ?? plainDialer;
    const pool = new UpstreamPool(limits, dial);
    super(options.route, (socket, route) => {
      socket.setNoDelay(true);
      const deps: ServeDeps = { route, policy: options.policy, decider, limits, flows, dial };
      sniffProtocol(socket, limits.idleTimeoutMs, limits.headersTimeoutMs, (s) => {
        switch (s.kind) {
          case "none":
            socket.destroy();
            return;
          case "http1":
            new Http1Connection(socket, deps, pool).start(s.initial, s.ended);
            return;
          case "http2":
            serveHttp2(socket, s.initial, deps);
            return;
        }
      });
    });
    this.limits = limits;
    this.#pool = pool;
  }

  /** Stops listening and closes every connection, client and upstream (pooled ones too). */
  override async close(): Promise<void> {
    this.#pool.destroy();
    await super.close();
  }
}
