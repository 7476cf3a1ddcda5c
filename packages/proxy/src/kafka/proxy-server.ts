import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import type { Result } from "@membrane/engine";
import { plainDialer, type Dialer } from "../common/dial.ts";
import { boundAddress, listenTcp } from "../common/listen.ts";
import type { ConnectionRoute, RouteResolver } from "../http/connection.ts";
import type { L7PolicySource } from "../http/policy-source.ts";
import { KafkaConnection } from "./connection.ts";
import { KafkaFlowRecorder, type KafkaFlowListener } from "./flow-record.ts";
import { DEFAULT_KAFKA_PROXY_LIMITS, type KafkaProxyLimits } from "./limits.ts";

/** How to run a {@link KafkaProxy}. */
export interface KafkaProxyOptions {
  /** Where each request's L7 policy comes from (asked before every request). */
  readonly policy: L7PolicySource;
  /** The route of every connection (standalone), or a function finding each connection's route. */
  readonly route: ConnectionRoute | RouteResolver;
  /** Overrides of {@link DEFAULT_KAFKA_PROXY_LIMITS}. */
  readonly limits?: Partial<KafkaProxyLimits>;
  /** Receives a Kafka flow record per request and per response. */
  readonly onFlow?: KafkaFlowListener;
  /** Why a connection was ended early (malformed frames, upstream failures), for a log line. */
  readonly onError?: (message: string) => void;
  /** How upstream connections are opened (default: plain `net.connect`). */
  readonly dial?: Dialer;
}

/**
 * The Kafka L7 proxy (Cilium's Kafka proxylib semantics, `policy-semantics.md` §8.2): accepts TCP
 * connections from Kafka clients and enforces the connection's L7 policy on every request.
 * Allowed requests go to the route's upstream broker and its responses come back; denied ones
 * never reach it and get a TOPIC_AUTHORIZATION_FAILED response from the proxy, in order.
 */
export class KafkaProxy {
  /** The limits in force. */
  readonly limits: KafkaProxyLimits;
  readonly #options: KafkaProxyOptions;
  readonly #flows: KafkaFlowRecorder;
  readonly #connections = new Map<Socket, KafkaConnection>();
  #server: Server | null = null;

  constructor(options: KafkaProxyOptions) {
    this.#options = options;
    this.limits = { ...DEFAULT_KAFKA_PROXY_LIMITS, ...options.limits };
    this.#flows = new KafkaFlowRecorder(options.onFlow ?? null);
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
    const connection = new KafkaConnection(socket, {
      route,
      policy: this.#options.policy,
      limits: this.limits,
      flows: this.#flows,
      onError: this.#options.onError ?? (() => undefined),
      dial: this.#options.dial ?? plainDialer,
    });
    this.#connections.set(socket, connection);
    socket.once("close", () => this.#connections.delete(socket));
  }

  /** Stops listening and closes every connection, client and upstream. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const c of this.#connections.values()) c.destroy();
    this.#connections.clear();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
