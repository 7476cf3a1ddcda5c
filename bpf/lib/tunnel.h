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

static __always_inline int has_tunnel_endpoint(const struct ipcache_entry *e)
{
	return e && (e->tunnel_endpoint[0] | e->tunnel_endpoint[1] | e->tunnel_endpoint[2] | e->tunnel_endpoint[3]);
}

/*
 * Sends an allowed packet on its way: into the tunnel when its destination lives on another node
 * (tunnel routing configured), else up the stack. Returns a tc action, or DROP_* on failure.
 */
static __always_inline int forward(struct __sk_buff *skb, const struct tuple *t, __u32 identity)
{
	const struct datapath_config *cfg = datapath_config();
	const struct ipcache_entry *dst;
	struct bpf_tunnel_key key = {};

	if (!cfg || cfg->tunnel_ifindex == 0 || t->family != 4)
		return TC_ACT_OK;
	dst = ipcache_lookup(t->family, t->daddr);
	if (!has_tunnel_endpoint(dst))
		return TC_ACT_OK;
	__builtin_memcpy(&key.remote_ipv4, dst->tunnel_endpoint, 4);
	key.remote_ipv4 = bpf_ntohl(key.remote_ipv4);
	key.tunnel_id = identity;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key), BPF_F_ZERO_CSUM_TX) < 0)
		return DROP_WRITE_ERROR;
	return bpf_redirect(cfg->tunnel_ifindex, 0);
}

#endif
