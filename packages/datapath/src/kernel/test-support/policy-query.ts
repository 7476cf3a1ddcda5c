import assert from "node:assert/strict";
import { testRun, type ProgramFd } from "../bpf.ts";
import type { Direction } from "../../codec/policy.ts";

/** The source of the lookup test program (bpf/tests/policy_lookup.c). */
export const POLICY_LOOKUP_TEST = new URL("../../../../../bpf/tests/policy_lookup.c", import.meta.url);

/**
 * Asks the kernel's policy lookup (the policy_lookup_test program) for the verdict of endpoint
 * `epId`'s map: the query rides in the packet after a 14-byte Ethernet header.
 */
export function kernelVerdict(prog: ProgramFd, epId: number, direction: Direction, identity: number, proto: number, dport: number): number {
  const packet = Buffer.alloc(14 + 12);
  packet.writeUInt32LE(epId, 14);
  packet.writeUInt32LE(identity, 18);
  packet[22] = direction === "egress" ? 1 : 0;
  packet[23] = proto;
  packet.writeUInt16LE(dport, 24);
  const r = testRun(prog, packet);
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value.retval;
}
