/* The policy map and its lookup (policy-semantics.md §7.2; Cilium's bpf/lib/policy.h). */
#ifndef MEMBRANE_LIB_POLICY_H
#define MEMBRANE_LIB_POLICY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "membrane/policy.h"

#ifndef POLICY_MAP_SIZE
#define POLICY_MAP_SIZE 262144
#endif

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, POLICY_MAP_SIZE);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
} membrane_policy SEC(".maps");

/*
 * The verdict of ep_id's map in one direction for a peer identity, protocol and destination port
 * (host order): the proxy port (0 = plain allow) or a negative drop code. The identity's own
 * longest-prefix entry is taken at once when it is a deny; otherwise it competes with the
 * any-peer entry: higher precedence, then longer prefix, then the identity's own entry.
 * `*chosen` is the entry that decided (NULL when none matched).
 */
static __always_inline int policy_lookup(__u32 ep_id, __u32 identity, __u8 egress, __u8 proto, __u16 dport,
					 const struct policy_entry **chosen)
{
	struct policy_key key = {
		.prefixlen = POLICY_FULL_PREFIX,
		.ep_id = ep_id,
		.identity = identity,
		.egress = egress,
		.proto = proto,
		.dport = bpf_htons(dport),
	};
	const struct policy_entry *l3 = 0, *l4, *c;

	if (identity != 0) {
		l3 = bpf_map_lookup_elem(&membrane_policy, &key);
		if (l3 && l3->deny) {
			*chosen = l3;
			return DROP_POLICY_DENY;
		}
	}
	key.identity = 0;
	l4 = bpf_map_lookup_elem(&membrane_policy, &key);
	if (!l3)
		c = l4;
	else if (!l4)
		c = l3;
	else if (l3->precedence != l4->precedence)
		c = l3->precedence > l4->precedence ? l3 : l4;
	else
		c = l4->lpm_prefix_length > l3->lpm_prefix_length ? l4 : l3;
	*chosen = c;
	if (!c)
		return DROP_POLICY;
	return c->deny ? DROP_POLICY_DENY : c->proxy_port;
}

#endif
