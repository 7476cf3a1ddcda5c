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

static __always_inline const struct endpoint_info *endpoint_of(__u32 ifindex)
{
	return bpf_map_lookup_elem(&membrane_endpoints, &ifindex);
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
