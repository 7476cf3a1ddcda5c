import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Result } from "@membrane/engine";
import { plainDialer, type Dialer } from "../common/dial.ts";
import { boundAddress, listenTcp } from "../common/listen.ts";
import type { ConnectionRoute, RouteResolver } from "../http/connection.ts";
import type { L7PolicySource } from "../http/policy-source.ts";
import { TlsConnection } from "./connection.ts";
import type { TlsFlowListener } from "./flow-record.ts";
import { DEFAULT_TLS_PROXY_LIMITS, type TlsProxyLimits } from "./limits.ts";

/** How to run a {@link TlsProxy}. */
export interface TlsProxyOptions {
  /** Where each connection's L7 policy comes from (asked once, at its ClientHello). */
  readonly policy: L7PolicySource;
  /** The route of every connection (standalone), or a function finding each connection's route. */
  readonly route: ConnectionRoute | RouteResolver;
  /** Overrides of {@link DEFAULT_TLS_PROXY_LIMITS}. */
  readonly limits?: Partial<TlsProxyLimits>;
  /** Receives a record per decided connection. */
  readonly onFlow?: TlsFlowListener;
  /** Why a forwarded connection failed upstream, for a log line. */
  readonly onError?: (message: string) => void;
  /** How upstream connections are opened (default: plain `net.connect`). */
  readonly dial?: Dialer;
}

/**
 * The TLS SNI proxy (Cilium's `serverNames`, `policy-semantics.md` §8.6): accepts TCP connections,
 * reads each one's ClientHello, and passes the connection through unchanged when the server name
 * it asks for is allowed; resets it otherwise. It never terminates TLS.
 */
export class TlsProxy {
  /** The limits in force. */
  readonly limits: TlsProxyLimits;
  readonly #options: TlsProxyOptions;
  readonly #connections = new Set<TlsConnection>();
  #server: Server | null = null;

  constructor(options: TlsProxyOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_TLS_PROXY_LIMITS, ...options.limits };
  }

  /** Starts listening on `host:port` (port 0 picks a free one); the bound address, or why not. */
  listen(host: string, port: number): Promise<Result<AddressInfo, string>> {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.handle(socket));
    this.#server = server;
    return listenTcp(server, host, port);
  }

  /** The address listened on, if listening. */
  get address(): AddressInfo | null {
    return boundAddress(this.#server);
  }

  /** Connections being served now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Serves one connection accepted elsewhere (a transparent listener, say). */
  handle(socket: Socket): void {
    socket.on("error", () => undefined);
    const resolveRoute = this.#options.route;
    let route: ConnectionRoute | null;
    try {
      route = typeof resolveRoute === "function" ? resolveRoute(socket) : resolveRoute;
    } catch {
      route = null;
    }
    if (route === null) {
      socket.destroy();
      return;
    }
    const connection = new TlsConnection(socket, {
      route,
      policy: this.#options.policy,
      limits: this.limits,
      onFlow: this.#options.onFlow ?? (() => undefined),
      onError: this.#options.onError ?? (() => undefined),
      dial: this.#options.dial ?? plainDialer,
    });
    this.#connections.add(connection);
    socket.once("close", () => this.#connections.delete(connection));
  }

  /** Stops listening and closes every connection, client and upstream. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const c of this.#connections) c.destroy();
    this.#connections.clear();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
