/**
 * The byte layout of the policy map (bpf/include/membrane/abi.h): the engine's PolicyKey and
 * PolicyEntry for one endpoint and direction, as the kernel's LPM trie holds them. Multi-byte
 * fields are in host order (little-endian on the machines membrane runs on) except the
 * destination port, which is big-endian so that a port prefix is a bit prefix of the key.
 */
import { asIdentity, type PolicyEntry, type PolicyKey } from "@membrane/engine";

export const POLICY_KEY = { size: 16, prefixlen: 0, ep_id: 4, identity: 8, egress: 12, proto: 13, dport: 14 } as const;
export const POLICY_ENTRY = { size: 8, proxy_port: 0, precedence: 2, deny: 4, lpm_prefix_length: 5 } as const;
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
  const b = Buffer.alloc(POLICY_KEY.size);
  b.writeUInt32LE(POLICY_FIXED_PREFIX + variableBits(key), POLICY_KEY.prefixlen);
  b.writeUInt32LE(epId, POLICY_KEY.ep_id);
  b.writeUInt32LE(key.identity, POLICY_KEY.identity);
  b[POLICY_KEY.egress] = direction === "egress" ? 1 : 0;
  b[POLICY_KEY.proto] = key.proto;
  b.writeUInt16BE(key.port, POLICY_KEY.dport);
  return b;
}

/** policy_entry.deny (abi.h POLICY_ENTRY_*). */
const ENTRY_DENY = 1;
const ENTRY_DENY_AUDIT = 2;

/** `struct policy_entry` for the entry stored under `key`; an `audited` deny lets packets pass, reported AUDIT. */
export function encodePolicyEntry(key: PolicyKey, entry: PolicyEntry, audited = false): Buffer {
  const b = Buffer.alloc(POLICY_ENTRY.size);
  b.writeUInt16LE(entry.proxyPort, POLICY_ENTRY.proxy_port);
  b.writeUInt16LE(entry.precedence, POLICY_ENTRY.precedence);
  b[POLICY_ENTRY.deny] = entry.deny ? (audited ? ENTRY_DENY_AUDIT : ENTRY_DENY) : 0;
  b[POLICY_ENTRY.lpm_prefix_length] = variableBits(key);
  return b;
}

/** Reads back a `struct policy_key` (how an agent adopts the map it finds at start). */
export function decodePolicyKey(b: Buffer): { readonly epId: number; readonly direction: Direction; readonly key: PolicyKey } {
  const variable = b.readUInt32LE(POLICY_KEY.prefixlen) - POLICY_FIXED_PREFIX;
  const proto = variable === 0 ? 0 : b[POLICY_KEY.proto]!;
  return {
    epId: b.readUInt32LE(POLICY_KEY.ep_id),
    direction: b[POLICY_KEY.egress] === 1 ? "egress" : "ingress",
    key: {
      identity: asIdentity(b.readUInt32LE(POLICY_KEY.identity)),
      proto,
      port: variable === 0 ? 0 : b.readUInt16BE(POLICY_KEY.dport),
      prefixLen: variable === 0 ? 0 : variable - 8,
    },
  };
}

/** Reads back a `struct policy_entry`; what the kernel does not hold (parser, origins) is unknown. */
export function decodePolicyEntry(b: Buffer): PolicyEntry {
  return {
    deny: b[POLICY_ENTRY.deny] !== 0,
    precedence: b.readUInt16LE(POLICY_ENTRY.precedence),
    proxyPort: b.readUInt16LE(POLICY_ENTRY.proxy_port),
    parser: null,
    derivedFrom: [],
  };
}
