/* The ipcache: address prefixes → identities, longest prefix first (policy-semantics.md §5.4). */
#ifndef MEMBRANE_LIB_IPCACHE_H
#define MEMBRANE_LIB_IPCACHE_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"

#ifndef IPCACHE_MAP_SIZE
#define IPCACHE_MAP_SIZE 512000
#endif

/* World when nothing matched; the agent also writes 0.0.0.0/0 and ::/0 with the cluster's own
 * world identity (world-ipv4/-ipv6 in dual-stack), so a miss only happens with no agent. */
#define IDENTITY_WORLD 2
/* Pods' identities: from the first after the reserved ones, below the local scope of CIDR
 * identities (Cilium's MinimalNumericIdentity, IdentityScopeLocal). */
#define IDENTITY_MIN_CLUSTER 256
#define IDENTITY_SCOPE_LOCAL (1 << 24)

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, IPCACHE_MAP_SIZE);
	__type(key, struct ipcache_key);
	__type(value, struct ipcache_entry);
} membrane_ipcache SEC(".maps");

/* The longest-prefix entry for an address (NULL: none). */
static __always_inline const struct ipcache_entry *ipcache_lookup(__u8 family, const __u8 *addr)
{
	struct ipcache_key key = { .prefixlen = IPCACHE_FIXED_PREFIX + (family == 4 ? 32 : 128), .family = family };

	__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&membrane_ipcache, &key);
}

static __always_inline __u32 ipcache_identity(__u8 family, const __u8 *addr)
{
	const struct ipcache_entry *e = ipcache_lookup(family, addr);

	return e ? e->identity : IDENTITY_WORLD;
}

/* Whether `addr` is a pod's (on any node). */
static __always_inline int ipcache_is_pod(__u8 family, const __u8 *addr)
{
	__u32 id = ipcache_identity(family, addr);

	return id >= IDENTITY_MIN_CLUSTER && id < IDENTITY_SCOPE_LOCAL;
}

#endif
