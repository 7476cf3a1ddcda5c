/**
 * The datapath's counters (bpf/include/membrane/abi.h: COUNTER_*, struct counter) and settings
 * (struct datapath_config). A per-CPU lookup returns one 16-byte counter per possible CPU; they are summed.
 */
export const COUNTER = { size: 16, packets: 0, bytes: 8 } as const;
export const DATAPATH_CONFIG = {
  size: 20,
  events_per_second: 0,
  flags: 4,
  tunnel_ifindex: 8,
  proxy_ifindex: 12,
  policy_epoch: 16,
} as const;

/** The counter indexes, in abi.h's order. */
export const COUNTER_NAMES = [
  "forwarded",
  "reply",
  "related",
  "drop-policy",
  "drop-policy-deny",
  "drop-other",
  "events-rate-limited",
  "events-lost",
] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export interface CounterValue {
  readonly packets: bigint;
  readonly bytes: bigint;
}

/** The u32 array key of a counter. */
export function encodeCounterKey(name: CounterName): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(COUNTER_NAMES.indexOf(name), 0);
  return b;
}

/** Sums one counter's per-CPU values (`cpus` × 16 bytes). */
export function sumPerCpu(b: Buffer, cpus: number): CounterValue {
  let packets = 0n;
  let bytes = 0n;
  for (let i = 0; i < cpus; i++) {
    packets += b.readBigUInt64LE(i * COUNTER.size + COUNTER.packets);
    bytes += b.readBigUInt64LE(i * COUNTER.size + COUNTER.bytes);
  }
  return { packets, bytes };
}

/** The datapath's settings. */
export interface DatapathConfig {
  /** Per CPU; 0: unlimited. */
  readonly eventsPerSecond: number;
  /** The VXLAN device packets to other nodes' pods are encapsulated on; 0: native routing. */
  readonly tunnelIfindex?: number;
  /** The device whose ingress hands redirected ingress flows to the proxies; 0: no ingress redirection (fails closed). */
  readonly proxyIfindex?: number;
  /**
   * Bumped after every change of the policy, endpoints or ipcache maps: an established flow
   * whose verdict was reached under the current epoch skips the lookups. 0: always look up.
   */
  readonly policyEpoch?: number;
  /**
   * The egress proxy's transparent upstream sockets take their ports from PROXY_UPSTREAM_PORTS (the
   * node's kernel does: upstreamPortsHonoured), so from_netdev looks up sockets only for packets to those.
   */
  readonly proxyUpstreamPorts?: boolean;
}

/** abi.h DATAPATH_F_PROXY_UPSTREAM_PORTS. */
export const DATAPATH_F_PROXY_UPSTREAM_PORTS = 1;

/** `struct datapath_config`. */
export function encodeDatapathConfig(config: DatapathConfig): Buffer {
  const b = Buffer.alloc(DATAPATH_CONFIG.size);
  b.writeUInt32LE(config.eventsPerSecond, DATAPATH_CONFIG.events_per_second);
  b.writeUInt32LE(config.proxyUpstreamPorts === true ? DATAPATH_F_PROXY_UPSTREAM_PORTS : 0, DATAPATH_CONFIG.flags);
  b.writeUInt32LE(config.tunnelIfindex ?? 0, DATAPATH_CONFIG.tunnel_ifindex);
  b.writeUInt32LE(config.proxyIfindex ?? 0, DATAPATH_CONFIG.proxy_ifindex);
  b.writeUInt32LE(config.policyEpoch ?? 0, DATAPATH_CONFIG.policy_epoch);
  return b;
}
