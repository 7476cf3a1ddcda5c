import { PROTO } from "@membrane/engine";
import { lookupConntrack, type ConntrackEntry, type MapFd } from "@membrane/datapath";

/** One end of a connection a proxy accepted. */
export interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * The datapath's conntrack entry of a TCP connection a proxy accepted transparently (`client` to
 * its original destination `server`), as the side whose policy redirected it tracked it; null when
 * the datapath did not track it here (the proxy then does not serve it).
 */
export function trackedConnection(
  conntrack: MapFd,
  client: Address,
  server: Address,
  direction: "ingress" | "egress",
): ConntrackEntry | null {
  const flow = {
    source: client.host,
    destination: server.host,
    sourcePort: client.port,
    destinationPort: server.port,
    proto: PROTO.TCP,
    direction,
  };
  const tracked = lookupConntrack(conntrack, flow);
  return tracked.ok ? tracked.value : null;
}
