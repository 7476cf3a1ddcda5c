/**
 * The sockets of the L7 path (datapath-notes.md §6), made by the addon because Node's net module
 * cannot: a proxy listener with IP_TRANSPARENT (the datapath assigns it connections addressed to
 * other hosts) and upstream sockets carrying a mark (the proxied flow keeps its source identity),
 * both in another network namespace when the proxy serves a lab node.
 */
import { closeSync } from "node:fs";
import { Socket } from "node:net";
import type { Result } from "@membrane/engine";
import { call, type Addon, type KernelError } from "./addon.ts";

/** A stream (TCP) or datagram (UDP) socket. */
export type SocketKind = "tcp" | "udp";

/** A socket file descriptor made by the addon (non-blocking, close-on-exec). */
export type SocketFd = number & { readonly __brand: "SocketFd" };

// <asm-generic/socket.h>, <linux/in.h>
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const SO_MARK = 36;
const SOL_IP = 0;
const IP_TRANSPARENT = 19;
const IP_BIND_ADDRESS_NO_PORT = 24;
const IP_LOCAL_PORT_RANGE = 51;
const SOL_IPV6 = 41;
const IPV6_TRANSPARENT = 75;

/**
 * The ports the egress proxy's transparent upstream sockets take (abi.h PROXY_UPSTREAM_PORT_MIN and
 * _MAX): the top of the kernel's default ephemeral range (32768-60999). A socket's own range must
 * lie inside its network namespace's, or the kernel ignores it.
 */
export const PROXY_UPSTREAM_PORTS = { min: 60000, max: 60999 } as const;
const PORT_RANGE = (PROXY_UPSTREAM_PORTS.max << 16) | PROXY_UPSTREAM_PORTS.min;

/**
 * Whether a transparent upstream socket in `netns` (a path; null: this process's) gets its port
 * from PROXY_UPSTREAM_PORTS: the kernel has IP_LOCAL_PORT_RANGE (Linux 6.3+) and the namespace's
 * ephemeral range holds them. Asked of a socket bound as the proxy's are.
 */
export function upstreamPortsHonoured(netns: string | null): boolean {
  // A range the kernel ignores still gives one of its ports by chance (1 in 28 of the default
  // range): three in a row do not.
  for (let attempt = 0; attempt < 3; attempt++) {
    // Its port taken at bind, not at connect as the proxy's are: readable now, from the same range.
    const made = socketIn(netns, 4, "tcp", (a, fd) => bindAsUpstream(a, fd, 4, "127.0.0.1", false));
    if (!made.ok) return false;
    const socket = new Socket({ fd: made.value });
    const port = socket.localPort ?? 0;
    socket.destroy();
    if (port < PROXY_UPSTREAM_PORTS.min || port > PROXY_UPSTREAM_PORTS.max) return false;
  }
  return true;
}

/** A socket made in `netns` and set up by `configure`; closed again if that fails. */
function socketIn(
  netns: string | null,
  family: 4 | 6,
  kind: SocketKind,
  configure: (a: Addon, fd: number) => void,
): Result<SocketFd, KernelError> {
  return call((a) => {
    const fd = a.socketIn(netns, family, kind === "tcp");
    try {
      configure(a, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return fd as SocketFd;
  });
}

/**
 * A TCP socket bound to `ip:port` with IP_TRANSPARENT, in the network namespace at `netns` (a
 * path such as /run/netns/NAME; null: the caller's own), ready for `server.listen({ fd })`
 * (libuv calls listen(2) on it). Without IP_TRANSPARENT the SYN-ACK from the original destination's
 * address finds no route and the connection never opens (measured: datapath-notes.md §6). A UDP
 * one (for `dgram` `bind({ fd })`) may be bound to an address that is not local: a transparent
 * proxy answers a datagram from the address it was sent to.
 */
export function transparentListener(
  netns: string | null,
  ip: string,
  port: number,
  kind: SocketKind = "tcp",
): Result<SocketFd, KernelError> {
  const v6 = ip.includes(":");
  return socketIn(netns, v6 ? 6 : 4, kind, (a, fd) => {
    a.setSockOpt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
    a.setSockOpt(fd, v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, 1);
    a.bindSocket(fd, ip, port);
  });
}

/**
 * An unconnected socket in the network namespace at `netns` whose packets carry `mark`, for
 * `new net.Socket({ fd }).connect(…)` (TCP) or `dgram` `bind({ fd })` (UDP). With `source`, it is
 * bound there with IP_TRANSPARENT, its port from PROXY_UPSTREAM_PORTS: the connection leaves from
 * an address that is not this host's, as an egress proxy keeps its client's (the datapath's
 * from_netdev hands the replies back to it).
 */
export function markedSocket(
  netns: string | null,
  family: 4 | 6,
  mark: number,
  kind: SocketKind = "tcp",
  source?: string,
): Result<SocketFd, KernelError> {
  return socketIn(netns, family, kind, (a, fd) => {
    a.setSockOpt(fd, SOL_SOCKET, SO_MARK, mark);
    if (source !== undefined) bindAsUpstream(a, fd, family, source, kind === "tcp");
  });
}

/**
 * Binds an egress proxy's upstream socket to `source` with IP_TRANSPARENT, its port from
 * PROXY_UPSTREAM_PORTS, where from_netdev looks for it. With `portAtConnect` (TCP), the port is
 * chosen at connect (IP_BIND_ADDRESS_NO_PORT), so the range's ports are reused across
 * destinations instead of lasting for 1,000 connections a source address.
 */
function bindAsUpstream(a: Addon, fd: number, family: 4 | 6, source: string, portAtConnect: boolean): void {
  a.setSockOpt(fd, family === 6 ? SOL_IPV6 : SOL_IP, family === 6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, 1);
  try {
    a.setSockOpt(fd, SOL_IP, IP_LOCAL_PORT_RANGE, PORT_RANGE);
  } catch {
    // Before Linux 6.3: any port; upstreamPortsHonoured says so, and the agent has from_netdev look at every one.
  }
  if (portAtConnect) a.setSockOpt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1);
  a.bindSocket(fd, source, 0);
}
