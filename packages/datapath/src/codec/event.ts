/** The byte layout of a datapath event (bpf/include/membrane/abi.h: struct event), decoded. */
import { asIdentity, type DatapathRecord, type NumericIdentity } from "@membrane/engine";
import { addressAt } from "./address.ts";

export const EVENT = {
  size: 80,
  type: 0,
  direction: 1,
  family: 2,
  proto: 3,
  match_type: 4,
  ct_state: 5,
  tcp_flags: 6,
  flags: 7,
  ep_id: 8,
  local_identity: 12,
  remote_identity: 16,
  verdict: 20,
  sport: 24,
  dport: 26,
  ifindex: 28,
  len: 32,
  timestamp: 40,
  saddr: 48,
  daddr: 64,
} as const;

/** event.flags: audit mode let a would-be drop pass (its verdict is the drop code). */
const EVENT_F_AUDIT = 1;

const CT_STATES = ["new", "established", "reply", "related"] as const;

/**
 * One packet the datapath reported: a new flow's policy verdict, or a drop. The fields the engine
 * turns into a Hubble flow are its DatapathRecord's; the rest are the kernel's own.
 */
export interface DatapathEvent extends Omit<DatapathRecord, "node" | "time" | "dropReasonName"> {
  readonly epId: number;
  readonly localIdentity: NumericIdentity;
  readonly ctState: (typeof CT_STATES)[number];
  readonly family: 4 | 6;
  readonly ifindex: number;
  readonly length: number;
  /** bpf_ktime_get_ns() (CLOCK_MONOTONIC nanoseconds). */
  readonly timestamp: bigint;
}

/** Decodes a ring buffer sample; undefined for a sample of another size or type. */
export function decodeEvent(b: Buffer): DatapathEvent | undefined {
  if (b.length !== EVENT.size) return undefined;
  const type = b[EVENT.type];
  if (type !== 1 && type !== 2) return undefined;
  const family = b[EVENT.family] === 6 ? 6 : 4;
  const addr = (offset: number): string => addressAt(b, offset, family);
  return {
    kind: type === 1 ? "policy-verdict" : "drop",
    direction: b[EVENT.direction] === 1 ? "ingress" : "egress",
    epId: b.readUInt32LE(EVENT.ep_id),
    localIdentity: asIdentity(b.readUInt32LE(EVENT.local_identity)),
    remoteIdentity: asIdentity(b.readUInt32LE(EVENT.remote_identity)),
    verdict: b.readInt32LE(EVENT.verdict),
    matchType: b[EVENT.match_type]!,
    ctState: CT_STATES[b[EVENT.ct_state]!] ?? "new",
    family,
    proto: b[EVENT.proto]!,
    source: addr(EVENT.saddr),
    destination: addr(EVENT.daddr),
    sourcePort: b.readUInt16BE(EVENT.sport),
    destinationPort: b.readUInt16BE(EVENT.dport),
    tcpFlags: b[EVENT.tcp_flags]!,
    audited: (b[EVENT.flags]! & EVENT_F_AUDIT) !== 0,
    ifindex: b.readUInt32LE(EVENT.ifindex),
    length: b.readUInt32LE(EVENT.len),
    timestamp: b.readBigUInt64LE(EVENT.timestamp),
  };
}

/** Hubble's DropReason names (api/v1/flow/flow.proto) of the drop codes the datapath returns (abi.h). */
export const DROP_REASON_NAMES: Readonly<Record<number, string>> = {
  [-132]: "INVALID_SOURCE_IP",
  [-133]: "POLICY_DENIED",
  [-134]: "INVALID_PACKET_DROPPED",
  [-135]: "CT_TRUNCATED_OR_INVALID_HEADER",
  [-137]: "CT_UNKNOWN_L4_PROTOCOL",
  [-139]: "UNSUPPORTED_L3_PROTOCOL",
  [-141]: "ERROR_WRITING_TO_PACKET",
  [-155]: "CT_MAP_INSERTION_FAILED",
  [-157]: "IP_FRAGMENTATION_NOT_SUPPORTED",
  [-165]: "NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION",
  [-178]: "PROXY_LOOKUP_FAILED",
  [-179]: "PROXY_SET_FAILED",
  [-180]: "PROXY_UNKNOWN_PROTOCOL",
  [-181]: "POLICY_DENY",
};

/** A drop code's Hubble name (`DROP_REASON_UNKNOWN(-n)` for one membrane never returns). */
export function dropReasonName(verdict: number): string {
  return DROP_REASON_NAMES[verdict] ?? `DROP_REASON_UNKNOWN(${verdict})`;
}
