/**
 * The byte layout of the policy map (bpf/include/membrane/policy.h): the engine's PolicyKey and
 * PolicyEntry for one endpoint and direction, as the kernel's LPM trie holds them. Multi-byte
 * fields are in host order (little-endian on the machines membrane runs on) except the
 * destination port, which is big-endian so that a port prefix is a bit prefix of the key.
 */
import type { PolicyEntry, PolicyKey } from "@membrane/engine";

export const POLICY_KEY_SIZE = 16;
export const POLICY_ENTRY_SIZE = 8;
/** ep_id, identity and the direction byte always match in full. */
export const POLICY_FIXED_PREFIX = 32 + 32 + 8;

/** The direction byte of a key. */
export type Direction = "ingress" | "egress";

/** The bits of a key after the fixed prefix: none for "any protocol", else the protocol and the port prefix. */
function variableBits(key: PolicyKey): number {
  return key.proto === 0 ? 0 : 8 + key.prefixLen;
}

/** `struct policy_key` for endpoint `epId`'s map in `direction`. */
export function encodePolicyKey(epId: number, direction: Direction, key: PolicyKey): Buffer {
  const b = Buffer.alloc(POLICY_KEY_SIZE);
  b.writeUInt32LE(POLICY_FIXED_PREFIX + variableBits(key), 0);
  b.writeUInt32LE(epId, 4);
  b.writeUInt32LE(key.identity, 8);
  b[12] = direction === "egress" ? 1 : 0;
  b[13] = key.proto;
  b.writeUInt16BE(key.port, 14);
  return b;
}

/** `struct policy_entry` for the entry stored under `key`. */
export function encodePolicyEntry(key: PolicyKey, entry: PolicyEntry): Buffer {
  const b = Buffer.alloc(POLICY_ENTRY_SIZE);
  b.writeUInt16LE(entry.proxyPort, 0);
  b.writeUInt16LE(entry.precedence, 2);
  b[4] = entry.deny ? 1 : 0;
  b[5] = variableBits(key);
  return b;
}
