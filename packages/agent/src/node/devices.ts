/**
 * The devices, routes and settings a node's datapath relies on besides its pods' veths
 * (datapath-notes.md §6, Cilium's proxy and overlay plumbing), for the lab's nodes and a real one.
 */

/** The nodes' VXLAN device (external mode: the datapath sets each packet's VNI and remote). */
export const VXLAN_DEVICE = "membrane_vxlan";
/** The device ingress L7 redirects are bounced to, whose ingress hands them to the proxies. */
export const PROXY_DEVICE = "mbr_proxy";
/** Packets the datapath assigned to a proxy socket (mark 0x200/0xf00) are delivered locally by this table. */
export const PROXY_ROUTE_TABLE = 2004;
/** The mark of packets the datapath assigned to a proxy socket, and its mask. */
const TO_PROXY_MARK = "0x200/0xf00";

/** As `ip` batch lines: what the datapath assigned to a proxy socket is delivered locally whatever its address. */
export const PROXY_ROUTING = [
  `rule add fwmark ${TO_PROXY_MARK} lookup ${PROXY_ROUTE_TABLE}`,
  `route replace local 0.0.0.0/0 dev lo table ${PROXY_ROUTE_TABLE}`,
] as const;

/** Removes {@link PROXY_ROUTING}'s rule (before adding it again: rules do not replace). */
export const PROXY_RULE_DELETE = `rule del fwmark ${TO_PROXY_MARK} lookup ${PROXY_ROUTE_TABLE}`;

/** As `ip` batch lines: the proxy device (a veth pair, as this kernel has no dummy devices; only this end is used). */
export const PROXY_DEVICE_LINKS = [
  `link add ${PROXY_DEVICE} type veth peer name ${PROXY_DEVICE}_peer`,
  `link set ${PROXY_DEVICE}_peer up`,
  `link set ${PROXY_DEVICE} up`,
] as const;

/**
 * Sysctls of a node running the datapath. accept_local: a bounced flow from the node's own
 * address may arrive. No early demux: a proxied flow's packets match the proxy's transparent
 * socket by their 4-tuple before routing, and a packet carrying a socket is not forwarded — the
 * pod's next packet would vanish instead of reaching its to_container (measured). (Not
 * tcp_fwmark_accept: the SYN-ACK would inherit the to-proxy mark and be routed back to the proxy.)
 */
export const NODE_SYSCTLS = [
  "net.ipv4.ip_forward=1",
  "net.ipv4.conf.all.rp_filter=0",
  "net.ipv4.conf.default.rp_filter=0",
  "net.ipv4.conf.all.accept_local=1",
  "net.ipv4.conf.default.accept_local=1",
  "net.ipv4.tcp_early_demux=0",
  "net.ipv4.udp_early_demux=0",
] as const;
