/* Structs shared with TypeScript (packages/datapath/src/codec/policy.ts mirrors them byte for byte). */
#ifndef MEMBRANE_INCLUDE_POLICY_H
#define MEMBRANE_INCLUDE_POLICY_H

#include <linux/types.h>

/*
 * A policy map key: one LPM trie holds every endpoint's map. ep_id, identity and egress always
 * match in full (POLICY_FIXED_PREFIX bits); then the protocol (8 bits, absent for "any protocol")
 * and a prefix of the big-endian destination port (0..16 bits) — the engine's PolicyKey
 * {identity, proto, port, prefixLen}, as in Cilium's bpf/lib/policy.h.
 */
struct policy_key {
	__u32 prefixlen;
	__u32 ep_id;
	__u32 identity; /* 0: any peer (the L4-only lookup) */
	__u8 egress;    /* 0: ingress, 1: egress */
	__u8 proto;
	__be16 dport;
} __attribute__((packed));

#define POLICY_FIXED_PREFIX (32 + 32 + 8)
#define POLICY_FULL_PREFIX (POLICY_FIXED_PREFIX + 8 + 16)

struct policy_entry {
	__u16 proxy_port;        /* non-zero: redirect to this L7 proxy port */
	__u16 precedence;        /* a deny has 0x1ff; a redirect outranks a plain allow */
	__u8 deny;
	__u8 lpm_prefix_length;  /* bits of the key after the fixed prefix: 0, or 8 + port prefix */
	__u16 pad;
};

/* Drop codes (Cilium's bpf/lib/drop_reasons.h, negated as the datapath returns them). */
#define DROP_POLICY (-133)
#define DROP_POLICY_DENY (-181)

#endif
