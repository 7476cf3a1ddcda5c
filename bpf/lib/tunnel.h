/*
 * Tunnel routing between nodes (Cilium's default, bpf/lib/encap.h): a packet for a pod on another
 * node is encapsulated on the node's VXLAN device (external mode) with the sender's identity as the
 * VNI; the receiving node's overlay program turns the VNI back into an identity in the mark, which
 * the destination endpoint trusts instead of its ipcache.
 */
#ifndef MEMBRANE_LIB_TUNNEL_H
#define MEMBRANE_LIB_TUNNEL_H

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_packet.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "membrane/abi.h"
#include "lib/config.h"
#include "lib/ipcache.h"
#include "lib/packet.h"

/* The node hosting an address whose ipcache entry is `e`, when tunnel routing is on and it is
 * another node (its IPv4 address, network order), else 0: what a tracked flow keeps so its
 * packets skip the lookup. */
static __always_inline __u32 tunnel_endpoint_in(const struct ipcache_entry *e, __u8 family)
{
	const struct datapath_config *cfg = datapath_config();
	__u32 endpoint;

	if (!e || family != 4 || !cfg || cfg->tunnel_ifindex == 0)
		return 0;
	__builtin_memcpy(&endpoint, e->tunnel_endpoint, 4);
	return endpoint;
}

static __always_inline __u32 tunnel_endpoint_of(__u8 family, const __u8 *addr)
{
	const struct datapath_config *cfg = datapath_config();

	/* No lookup at all in native routing. */
	if (family != 4 || !cfg || cfg->tunnel_ifindex == 0)
		return 0;
	return tunnel_endpoint_in(ipcache_lookup(family, addr), family);
}

/* Where this endpoint's packets of a tracked flow go (tunnel routing, see ct_entry): kept in its
 * entry while the verdict is current, else looked up for `addr`, their destination. */
static __always_inline __u32 ct_tunnel_endpoint(const struct ct_entry *e, __u32 epoch, __u8 family, const __u8 *addr)
{
	__u32 endpoint;

	if (e && epoch && e->policy_epoch == epoch) {
		__builtin_memcpy(&endpoint, e->tunnel_endpoint, 4);
		return endpoint;
	}
	return tunnel_endpoint_of(family, addr);
}

/*
 * Sends an allowed packet on its way: into the tunnel to `endpoint` (tunnel_endpoint_of its
 * destination), else up the stack. Returns a tc action, or DROP_* on failure.
 */
static __always_inline int forward_to(struct __sk_buff *skb, __u32 endpoint, __u32 identity)
{
	const struct datapath_config *cfg;
	struct bpf_tunnel_key key = {};

	if (!endpoint)
		return TC_ACT_OK;
	cfg = datapath_config();
	if (!cfg || cfg->tunnel_ifindex == 0)
		return TC_ACT_OK;
	key.remote_ipv4 = bpf_ntohl(endpoint);
	key.tunnel_id = identity;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX) < 0)
		return DROP_WRITE_ERROR;
	return bpf_redirect(cfg->tunnel_ifindex, 0);
}

/* forward_to the node hosting the packet's destination, looked up now. */
static __always_inline int forward(struct __sk_buff *skb, const struct tuple *t, __u32 identity)
{
	return forward_to(skb, tunnel_endpoint_of(t->family, t->daddr), identity);
}

#endif
