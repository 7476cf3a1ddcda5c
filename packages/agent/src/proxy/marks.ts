import type { NumericIdentity } from "@membrane/engine";

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
