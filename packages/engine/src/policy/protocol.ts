import type { L4Protocol } from "../translate/rule-form.ts";

/** IP protocol numbers as the datapath keys them; 0 means any protocol. */
export const PROTO = { any: 0, ICMP: 1, IGMP: 2, TCP: 6, UDP: 17, ICMPv6: 58, VRRP: 112, SCTP: 132 } as const;

/** A protocol number. */
export type ProtoNumber = (typeof PROTO)[keyof typeof PROTO];

/** The numbers a rule protocol expands to: ANY means TCP, UDP and SCTP (§6.3), not ICMP. */
export function protocolNumbers(p: L4Protocol): ProtoNumber[] {
  return p === "ANY" ? [PROTO.TCP, PROTO.UDP, PROTO.SCTP] : [PROTO[p]];
}

/** The name of a protocol number, for output. */
export function protocolName(n: number): string {
  for (const [name, v] of Object.entries(PROTO)) if (v === n) return name === "any" ? "ANY" : name;
  return String(n);
}
