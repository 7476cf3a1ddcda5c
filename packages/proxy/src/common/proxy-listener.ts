import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { err, ok, type Result } from "@membrane/engine";
import type { ConnectionRoute, RouteResolver } from "../http/connection.ts";
import type { L7PolicySource } from "../http/policy-source.ts";
import type { Dialer } from "./dial.ts";

/** How to run a TCP proxy whose limits are `L` and whose records go to `F`. */
export interface TcpProxyOptions<L, F> {
  /** Where each connection's L7 policy comes from (the proxy asks at every decision). */
  readonly policy: L7PolicySource;
  /** The route of every connection (standalone), or a function finding each connection's route. */
  readonly route: ConnectionRoute | RouteResolver;
  /** Overrides of the proxy's default limits. */
  readonly limits?: Partial<L>;
  /** Receives the proxy's flow records. */
  readonly onFlow?: F;
  /** Why a connection was ended early (malformed input, upstream failures), for a log line. */
  readonly onError?: (message: string) => void;
  /** How upstream connections are opened (default: plain `net.connect`). */
  readonly dial?: Dialer;
}

/**
 * What every TCP proxy does with a connection before its protocol starts: accept it (on its own
 * listener or from a transparent one elsewhere), find its route — a fixed one standalone, or the
 * resolver's (the original destination and the datapath's source identity); none closes the
 * connection unserved — and keep it until it closes, so that closing the proxy ends it.
 */
export class ProxyListener {
  readonly #route: ConnectionRoute | RouteResolver;
  readonly #serve: (socket: Socket, route: ConnectionRoute) => void;
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;

  constructor(route: ConnectionRoute | RouteResolver, serve: (socket: Socket, route: ConnectionRoute) => void) {
    this.#route = route;
    this.#serve = serve;
  }

  /** Starts listening on `host:port` (port 0 picks a free one); the bound address, or why not. */
  listen(host: string, port: number): Promise<Result<AddressInfo, string>> {
    return this.#listen({ host, port });
  }

  /** Starts listening on a socket made elsewhere (a transparent one in a node's namespace). */
  listenFd(fd: number): Promise<Result<AddressInfo, string>> {
    return this.#listen({ fd });
  }

  #listen(target: ListenTarget): Promise<Result<AddressInfo, string>> {
    const server = createServer({ allowHalfOpen: true }, (socket) => this.handle(socket));
    this.#server = server;
    return listenServer(server, target);
  }

  /** The address listened on, if listening. */
  get address(): AddressInfo | null {
    return boundAddress(this.#server);
  }

  /** Connections being served now. */
  get connections(): number {
    return this.#sockets.size;
  }

  /** Serves one connection accepted elsewhere (a transparent listener, say). */
  handle(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    socket.on("error", () => undefined);
    let route: ConnectionRoute | null;
    try {
      route = typeof this.#route === "function" ? this.#route(socket) : this.#route;
    } catch {
      route = null;
    }
    if (route === null) socket.destroy();
    else this.#serve(socket, route);
  }

  /** Stops listening and closes every connection (their upstreams close with them). */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Where a server listens: an address (port 0 picks a free one), or a bound socket's descriptor. */
export type ListenTarget = { readonly host: string; readonly port: number } | { readonly fd: number };

/** Starts `server` listening; the bound address, or why not. */
export function listenServer(server: Server, target: ListenTarget): Promise<Result<AddressInfo, string>> {
  return new Promise((resolve) => {
    const where = "fd" in target ? `socket ${target.fd}` : `${target.host}:${target.port}`;
    const onError = (e: Error): void => resolve(err(`cannot listen on ${where}: ${e.message}`));
    server.once("error", onError);
    server.listen(target, () => {
      server.off("error", onError);
      // Later server errors (accept failures) must not crash the process; connections carry their own.
      server.on("error", () => undefined);
      resolve(ok(server.address() as AddressInfo));
    });
  });
}

/** The TCP address `server` listens on, if it listens. */
function boundAddress(server: Server | null): AddressInfo | null {
  const a = server?.address();
  return a !== undefined && a !== null && typeof a === "object" ? a : null;
}
