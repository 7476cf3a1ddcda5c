import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Result } from "@membrane/engine";
import { plainDialer, type Dialer } from "../common/dial.ts";
import { boundAddress, listenTcp } from "../common/listen.ts";
import type { ConnectionRoute, RouteResolver } from "./connection.ts";
import { RequestDecider } from "./decide.ts";
import type { FlowListener } from "./flow-record.ts";
import { FlowRecorder } from "./flow-recorder.ts";
import { Http1Connection } from "./h1/index.ts";
import { UpstreamPool } from "./h1/upstream-pool.ts";
import { serveHttp2 } from "./h2/index.ts";
import { DEFAULT_PROXY_LIMITS, type ProxyLimits } from "./limits.ts";
import type { L7PolicySource } from "./policy-source.ts";
import type { ServeDeps } from "./serve-deps.ts";
import { sniffProtocol } from "./sniff.ts";

/** How to run an {@link HttpProxy}. */
export interface HttpProxyOptions {
  /** Where each request's L7 policy comes from. */
  readonly policy: L7PolicySource;
  /** The route of every connection (standalone), or a function finding each connection's route. */
  readonly route: ConnectionRoute | RouteResolver;
  /** Overrides of {@link DEFAULT_PROXY_LIMITS}. */
  readonly limits?: Partial<ProxyLimits>;
  /** Receives an L7 flow record per request and per response. */
  readonly onFlow?: FlowListener;
  /** How upstream connections are opened (default: plain `net.connect`). */
  readonly dial?: Dialer;
}

/**
 * The HTTP L7 proxy: accepts TCP connections, tells HTTP/2 prior knowledge (h2c, so gRPC) from
 * HTTP/1.x by the first bytes, and enforces the connection's L7 policy on every request. Allowed
 * requests go to the route's upstream; denied ones get Envoy's `403 Access denied` and never
 * reach it.
 */
export class HttpProxy {
  /** The limits in force. */
  readonly limits: ProxyLimits;
  readonly #options: HttpProxyOptions;
  readonly #decider = new RequestDecider();
  readonly #flows: FlowRecorder;
  readonly #pool: UpstreamPool;
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;

  constructor(options: HttpProxyOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_PROXY_LIMITS, ...options.limits };
    this.#flows = new FlowRecorder(options.onFlow ?? null);
    this.#pool = new UpstreamPool(this.limits, options.dial ?? plainDialer);
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

  /** Serves one connection accepted elsewhere (a transparent listener, say). */
  handle(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.setNoDelay(true);
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
    const deps: ServeDeps = {
      route,
      policy: this.#options.policy,
      decider: this.#decider,
      limits: this.limits,
      flows: this.#flows,
      dial: this.#options.dial ?? plainDialer,
    };
    sniffProtocol(socket, this.limits.idleTimeoutMs, this.limits.headersTimeoutMs, (s) => {
      switch (s.kind) {
        case "none":
          socket.destroy();
          return;
        case "http1":
          new Http1Connection(socket, deps, this.#pool).start(s.initial, s.ended);
          return;
        case "http2":
          serveHttp2(socket, s.initial, deps);
          return;
      }
    });
  }

  /** Stops listening and closes every connection, client and upstream. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#pool.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
