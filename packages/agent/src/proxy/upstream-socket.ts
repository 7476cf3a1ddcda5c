/** How a proxied flow's upstream socket keeps its source: the identity in its mark, and for an egress flow to another node its address. */
import { isIPv4 } from "node:net";
import type { EndpointInfo, NumericIdentity } from "@membrane/engine";

// bpf/include/membrane/abi.h
const MARK_FROM_PROXY_INGRESS = 0xa00;
const MARK_FROM_PROXY_EGRESS = 0xb00;

/** The mark the upstream socket of a proxied flow carries: which proxy it left, and the source identity. */
export function upstreamMark(direction: "ingress" | "egress", source: NumericIdentity): number {
  // Only 16 bits of identity fit. The ingress proxy's flows skip policy at the destination, so a
  // wider source (a CIDR identity) is left out there; an egress source is a local pod's identity.
  const carried = source <= 0xffff ? source << 16 : 0;
  return (direction === "ingress" ? MARK_FROM_PROXY_INGRESS : MARK_FROM_PROXY_EGRESS) | carried;
}

/**
 * The address an egress proxy's upstream connection from `client` to `destination` (the endpoint
 * of the server's address, if any) leaves from, when
 * not this host's: the client's own when the server is a pod on another node (Cilium's Envoy keeps
 * the original source), so that node judges the flow by the pod's identity in its ipcache, not as
 * this node (native routing carries nothing else). The datapath hands the replies back to the
 * proxy (from_netdev, from_overlay). Not for a pod of this node: its to_container reads the source
 * from the mark, and its replies, sent up the stack here, would otherwise go to the pod. Not
 * outside the cluster: the world sees the node's address anyway (Cilium masquerades pod traffic),
 * and a NAT on the way back would hide the pod's address from the datapath. IPv4 only, as the
 * proxy routing rule is.
 */
export function egressSource(nodeName: string, client: string, destination: EndpointInfo | undefined): { readonly source?: string } {
  if (!isIPv4(client) || destination === undefined || destination.pod.nodeName === nodeName) return {};
  return { source: client };
}
