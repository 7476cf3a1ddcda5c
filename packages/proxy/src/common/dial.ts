import dgram from "node:dgram";
import { connect, isIPv6, Socket } from "node:net";
import type { HostPort } from "./host-port.ts";

/** Where a proxy sends what it allowed. */
export interface Upstream extends HostPort {
  /**
   * The mark the upstream socket must carry (SO_MARK): on a node, the datapath reads the proxied
   * source's identity from it, so the forwarded flow is not taken for the host's own. Absent for
   * standalone proxies.
   */
  readonly mark?: number;
  /**
   * The address the upstream connection leaves from, when not the host's (with a mark only): an
   * egress proxy's client's own, so a node elsewhere judges the flow by its real source.
   */
  readonly source?: string;
}

/**
 * What makes two upstream connections interchangeable: the server, the mark and the source
 * address. A pooled connection is reused only under the same key (one opened from pod A's address
 * must never carry pod B's requests, even when both have one identity).
 */
export function upstreamKey(u: Upstream): string {
  return `${u.host}|${u.port}|${u.mark ?? ""}|${u.source ?? ""}`;
}

/**
 * Opens a TCP connection to an upstream (the agent's dialer makes marked sockets in its node's
 * namespace). Never throws: a connection that cannot be made is a socket that fails.
 */
export type Dialer = (upstream: Upstream) => Socket;

/** Makes the UDP socket an upstream exchange uses (the agent's is marked and in its node's namespace). */
export type UdpDialer = (upstream: Upstream) => dgram.Socket;

/** A plain UDP socket; like {@link plainDialer}, it cannot carry a mark. */
export const plainUdpDialer: UdpDialer = (upstream) => {
  const s = dgram.createSocket(isIPv6(upstream.host) ? "udp6" : "udp4");
  if (upstream.mark !== undefined)
    setImmediate(() => s.emit("error", new Error(`no dialer can mark the socket to ${upstream.host}:${upstream.port}`)));
  return s;
};

/** A socket that fails with `message` as soon as its user listens. */
export function failedSocket(message: string): Socket {
  const s = new Socket();
  setImmediate(() => s.destroy(new Error(message)));
  return s;
}

/** A plain connection; fails closed when a mark was asked for, which only a node's dialer can set. */
export const plainDialer: Dialer = (upstream) =>
  upstream.mark === undefined
    ? connect({ host: upstream.host, port: upstream.port })
    : failedSocket(`no dialer can mark the connection to ${upstream.host}:${upstream.port}`);

/**
 * Opens the upstream connection of a proxied client connection: no Nagle delay, a connect
 * timeout, every failure reported once as a message (`onFail`, which ends both sides), and the
 * close. The caller pipes the data.
 */
export function dialUpstream(
  dial: Dialer,
  upstream: Upstream,
  connectTimeoutMs: number,
  onFail: (message: string) => void,
  onClose: () => void,
): Socket {
  const { host, port } = upstream;
  const s = dial(upstream);
  s.setNoDelay(true);
  s.setTimeout(connectTimeoutMs, () => onFail(`connecting to ${host}:${port} timed out`));
  s.once("connect", () => s.setTimeout(0));
  s.on("error", (e) => onFail(`upstream ${host}:${port}: ${e.message}`));
  s.on("close", onClose);
  return s;
}
