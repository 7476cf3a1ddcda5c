/*
 * Handing a connection to membrane's L7 proxy (datapath-notes.md "L7 path"; Cilium's
 * bpf/lib/proxy.h does the same with bpf_sk_assign): the packet is assigned to the proxy's socket
 * in this network namespace — the connection's own transparent socket once it exists, else the
 * listener on loopback:proxy_port — and marked so the proxy routing rule delivers it locally.
 * Only possible where the packet is received (tc ingress): from_container for egress redirects,
 * the proxy device (to_proxy) for ingress ones.
 */
#ifndef MEMBRANE_LIB_PROXY_H
#define MEMBRANE_LIB_PROXY_H

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "membrane/abi.h"
#include "lib/packet.h"
#include "lib/conntrack.h"

/* Assigns a socket found by a lookup helper and releases the reference the lookup took: 0, or
 * DROP_PROXY_SET_FAILED. */
#define ASSIGN_AND_RELEASE(skb, sk) ({ long __e = bpf_sk_assign(skb, sk, 0); bpf_sk_release(sk); __e ? DROP_PROXY_SET_FAILED : 0; })

/* TCP: the connection's own transparent socket once the proxy accepted it, else the listener. */
static __always_inline int assign_tcp(struct __sk_buff *skb, struct bpf_sock_tuple *flow, struct bpf_sock_tuple *listener, __u32 size)
{
	struct bpf_sock *sk = bpf_skc_lookup_tcp(skb, flow, size, BPF_F_CURRENT_NETNS, 0);

	if (sk) {
		if (sk->state != BPF_TCP_LISTEN)
			return ASSIGN_AND_RELEASE(skb, sk);
		bpf_sk_release(sk);
	}
	sk = bpf_skc_lookup_tcp(skb, listener, size, BPF_F_CURRENT_NETNS, 0);
	return sk ? ASSIGN_AND_RELEASE(skb, sk) : DROP_PROXY_LOOKUP_FAILED;
}

#ifndef PROXY_ORIGINS_MAP_SIZE
#define PROXY_ORIGINS_MAP_SIZE 65536
#endif

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PROXY_ORIGINS_MAP_SIZE);
	__type(key, struct proxy_origin_key);
	__type(value, struct proxy_origin);
} membrane_proxy_origins SEC(".maps");

/* Stack room is spent (the programs sit near the 512-byte limit): the record is built in a per-CPU scratch entry. */
struct origin_scratch {
	struct proxy_origin_key key;
	struct proxy_origin value;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct origin_scratch);
} membrane_origin_scratch SEC(".maps");

/* Records where a redirected UDP flow was going (see abi.h); 0 or DROP_PROXY_SET_FAILED. */
static __always_inline int record_origin(const struct tuple *t, __u32 identity)
{
	__u32 zero = 0;
	struct origin_scratch *s = bpf_map_lookup_elem(&membrane_origin_scratch, &zero);

	if (!s)
		return DROP_PROXY_SET_FAILED;
	__builtin_memcpy(s->key.saddr, t->saddr, 16);
	s->key.sport = t->sport;
	s->key.proto = t->proto;
	s->key.family = t->family;
	__builtin_memcpy(s->value.daddr, t->daddr, 16);
	s->value.dport = t->dport;
	s->value.pad = 0;
	s->value.identity = identity;
	return bpf_map_update_elem(&membrane_proxy_origins, &s->key, &s->value, BPF_ANY) ? DROP_PROXY_SET_FAILED : 0;
}

/* UDP: the proxy's one unconnected socket. */
static __always_inline int assign_udp(struct __sk_buff *skb, struct bpf_sock_tuple *listener, __u32 size)
{
	struct bpf_sock *sk = bpf_sk_lookup_udp(skb, listener, size, BPF_F_CURRENT_NETNS, 0);

	return sk ? ASSIGN_AND_RELEASE(skb, sk) : DROP_PROXY_LOOKUP_FAILED;
}

/* Returns 0 once the packet is assigned, or DROP_PROXY_LOOKUP_FAILED / _SET_FAILED / _UNKNOWN_PROTO. */
static __always_inline int redirect_to_proxy(struct __sk_buff *skb, const struct tuple *t, __u16 proxy_port, __u32 identity)
{
	struct bpf_sock_tuple flow = {}, listener = {};
	__u32 size;
	int err;

	if (t->family == 4) {
		__builtin_memcpy(&flow.ipv4.saddr, t->saddr, 4);
		__builtin_memcpy(&flow.ipv4.daddr, t->daddr, 4);
		flow.ipv4.sport = t->sport;
		flow.ipv4.dport = t->dport;
		listener.ipv4.daddr = bpf_htonl(0x7f000001);
		listener.ipv4.dport = bpf_htons(proxy_port);
		size = sizeof(flow.ipv4);
	} else {
		__builtin_memcpy(flow.ipv6.saddr, t->saddr, 16);
		__builtin_memcpy(flow.ipv6.daddr, t->daddr, 16);
		flow.ipv6.sport = t->sport;
		flow.ipv6.dport = t->dport;
		listener.ipv6.daddr[3] = bpf_htonl(1);
		listener.ipv6.dport = bpf_htons(proxy_port);
		size = sizeof(flow.ipv6);
	}
	if (t->proto == IPPROTO_TCP)
		err = assign_tcp(skb, &flow, &listener, size);
	else if (t->proto == IPPROTO_UDP)
		err = record_origin(t, identity) ?: assign_udp(skb, &listener, size);
	else
		return DROP_PROXY_UNKNOWN_PROTO;
	if (err)
		return err;
	/* Only the magic: the proxy learns the source identity from the flow's conntrack entry (TCP)
	 * or the proxy origins map (UDP), never from the mark. */
	set_mark(skb, MARK_TO_PROXY);
	return 0;
}

/*
 * A packet of a connection the egress proxy opened to a pod on another node from the proxied
 * pod's own address (its upstream socket is transparent and bound there, as Cilium's
 * Envoy keeps the original source, so the far end sees the pod and not this host): handed to that
 * socket, since the pod's address would route it to the pod. Cilium marks these with iptables'
 * socket match (`-m socket --transparent`, 0x200, delivered locally). Returns 1 once assigned, 0
 * when no such socket has the flow, or DROP_PROXY_SET_FAILED.
 */
static __always_inline int to_proxy_upstream(struct __sk_buff *skb, const struct tuple *t)
{
	struct bpf_sock_tuple flow = {};
	struct bpf_sock *sk;

	if (t->family != 4)
		return 0;
	__builtin_memcpy(&flow.ipv4.saddr, t->saddr, 4);
	__builtin_memcpy(&flow.ipv4.daddr, t->daddr, 4);
	flow.ipv4.sport = t->sport;
	flow.ipv4.dport = t->dport;
	/* Full sockets only (the same pointer type for both: the verifier rejects a field read shared
	 * by two kinds); a TIME_WAIT remnant is not worth a proxy's attention. */
	if (t->proto == IPPROTO_TCP)
		sk = bpf_sk_lookup_tcp(skb, &flow, sizeof(flow.ipv4), BPF_F_CURRENT_NETNS, 0);
	else if (t->proto == IPPROTO_UDP)
		sk = bpf_sk_lookup_udp(skb, &flow, sizeof(flow.ipv4), BPF_F_CURRENT_NETNS, 0);
	else
		return 0;
	if (!sk)
		return 0;
	/* The egress proxy's own upstream socket (its mark), not an ingress proxy's accepted one, whose
	 * packets must pass the endpoint's to_container; and bound to exactly this address. */
	if ((sk->mark & MARK_MAGIC_MASK) != MARK_FROM_PROXY_EGRESS || sk->src_ip4 != flow.ipv4.daddr) {
		bpf_sk_release(sk);
		return 0;
	}
	if (ASSIGN_AND_RELEASE(skb, sk))
		return DROP_PROXY_SET_FAILED;
	set_mark(skb, MARK_TO_PROXY);
	return 1;
}

/*
 * On the proxy device's ingress: a flow to_container bounced here because the receiving endpoint's
 * ingress policy redirects it (tc egress cannot assign a socket; Cilium likewise sends ingress
 * redirects back up through its host device). The flow's ingress conntrack entry, made or
 * refreshed just before by to_container, holds the proxy port in force and the sender's identity. Returns 0 or DROP_PROXY_*.
 */
static __always_inline int redirect_ingress_to_proxy(struct __sk_buff *skb, const struct tuple *t, __u64 now)
{
	struct ct_key k;
	const struct ct_entry *e;

	ct_key_of(t, CT_INGRESS, &k);
	e = ct_find(&k, now);
	if (!e || !(e->flags & CT_F_INGRESS) || e->proxy_port == 0)
		return DROP_PROXY_LOOKUP_FAILED;
	return redirect_to_proxy(skb, t, e->proxy_port, e->remote_identity);
}

#endif
