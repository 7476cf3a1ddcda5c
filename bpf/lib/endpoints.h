/* The local endpoints, by the ifindex of their host-side veth (Cilium's lxc map). */
#ifndef MEMBRANE_LIB_ENDPOINTS_H
#define MEMBRANE_LIB_ENDPOINTS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"

#ifndef ENDPOINTS_MAP_SIZE
#define ENDPOINTS_MAP_SIZE 65536
#endif

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENDPOINTS_MAP_SIZE);
	__type(key, __u32);
	__type(value, struct endpoint_info);
} membrane_endpoints SEC(".maps");

/*
 * Each CPU keeps the records it read last in slots by ifindex, in front of the hash: a per-CPU
 * array lookup is inlined by the verifier (kernels 6.10+ on x86-64), a hash lookup is a call plus
 * hashing (about a fifth of an established packet's cost here: bench/datapath-packet.ts). A slot holds a record as read under a
 * policy epoch, and the agent bumps the epoch after every change of the endpoints map (Cilium
 * compiles the record into each endpoint's program instead, and reloads it on change).
 */
#define ENDPOINT_CACHE_SLOTS 256

struct endpoint_cache_slot {
	__u32 ifindex;
	__u32 epoch;
	struct endpoint_info info;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ENDPOINT_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct endpoint_cache_slot);
} membrane_ep_cache SEC(".maps");

/* The endpoint behind a device, read under policy `epoch` (0: unset, the hash is read every time). */
static __always_inline const struct endpoint_info *endpoint_of(__u32 ifindex, __u32 epoch)
{
	__u32 index = ifindex % ENDPOINT_CACHE_SLOTS;
	struct endpoint_cache_slot *slot = epoch ? bpf_map_lookup_elem(&membrane_ep_cache, &index) : 0;
	const struct endpoint_info *ep;

	if (slot && slot->ifindex == ifindex && slot->epoch == epoch)
		return &slot->info;
	ep = bpf_map_lookup_elem(&membrane_endpoints, &ifindex);
	if (!ep || !slot)
		return ep;
	slot->info = *ep;
	slot->ifindex = ifindex;
	slot->epoch = epoch;
	return &slot->info;
}

/* Whether `addr` is one of the endpoint's own addresses (anything else it sends is spoofed). */
static __always_inline int endpoint_owns(const struct endpoint_info *ep, __u8 family, const __u8 *addr)
{
	int same = 1;

	if (family == 4)
		return (ep->flags & ENDPOINT_F_HAS_IPV4) && ep->ipv4[0] == addr[0] && ep->ipv4[1] == addr[1] &&
		       ep->ipv4[2] == addr[2] && ep->ipv4[3] == addr[3];
#pragma unroll
	for (int i = 0; i < 16; i++)
		same &= ep->ipv6[i] == addr[i];
	return (ep->flags & ENDPOINT_F_HAS_IPV6) && same;
}

#endif
