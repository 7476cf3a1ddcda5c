/* The policy map and its lookup (policy-semantics.md §7.2; Cilium's bpf/lib/policy.h). */
#ifndef MEMBRANE_LIB_POLICY_H
#define MEMBRANE_LIB_POLICY_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "membrane/abi.h"

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

/* The match type of the entry a lookup chose (§7.2's table): whose entry, and how much it matched. */
static __always_inline __u8 match_type_of(const struct policy_entry *e, int identity_specific)
{
	if (!e)
		return MATCH_NONE;
	if (e->lpm_prefix_length > 8)
		return identity_specific ? MATCH_L3_L4 : MATCH_L4_ONLY;
	if (e->lpm_prefix_length == 8)
		return identity_specific ? MATCH_L3_PROTO : MATCH_PROTO_ONLY;
	return identity_specific ? MATCH_L3_ONLY : MATCH_ALL;
}

/*
 * The verdict of ep_id's map in one direction for a peer identity, protocol and destination port
 * (host order): the proxy port (0 = plain allow) or a negative drop code. The identity's own
 * longest-prefix entry is taken at once when it is a deny; otherwise it competes with the
 * any-peer entry: higher precedence, then longer prefix, then the identity's own entry.
 * `*match_type` says which entry decided (MATCH_NONE when none matched); `*audit` is set when
 * that entry is a deny in audit mode.
 */
static __always_inline int policy_lookup(__u32 ep_id, __u32 identity, __u8 egress, __u8 proto, __u16 dport,
					 __u8 *match_type, __u8 *audit)
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
			*match_type = match_type_of(l3, 1);
			*audit = l3->deny == POLICY_ENTRY_DENY_AUDIT;
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
	*match_type = match_type_of(c, c && c == l3);
	if (!c)
		return DROP_POLICY;
	*audit = c->deny == POLICY_ENTRY_DENY_AUDIT;
	return c->deny ? DROP_POLICY_DENY : c->proxy_port;
}

#endif
