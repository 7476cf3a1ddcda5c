/*
 * Connection tracking (Cilium's bpf/lib/conntrack.h, simplified): each endpoint direction keeps
 * its own entries (CT_EGRESS made by from-container, CT_INGRESS by to-container), so a pod-to-pod
 * flow is tracked once at each end. A packet whose reversed tuple has an entry is a reply and
 * skips policy (§7.1); an ICMP error quoting a tracked flow is related and skips it too. An
 * original-direction packet keeps its flow's verdict only while the policy epoch it was reached in
 * is current (endpoint.c): any map change the agent makes decides every flow again. Lifetimes follow Cilium's defaults; the LRU map evicts under pressure and the agent
 * collects expired entries.
 */
#ifndef MEMBRANE_LIB_CONNTRACK_H
#define MEMBRANE_LIB_CONNTRACK_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"
#include "lib/packet.h"

#ifndef CT_MAP_SIZE
#define CT_MAP_SIZE 262144
#endif

#define NSEC_PER_SEC 1000000000ULL
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_MAP_SIZE);
	__type(key, struct ct_key);
	__type(value, struct ct_entry);
} membrane_ct SEC(".maps");

static __always_inline void ct_key_of(const struct tuple *t, __u8 dir, int reversed, struct ct_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	if (reversed) {
		__builtin_memcpy(k->saddr, t->daddr, 16);
		__builtin_memcpy(k->daddr, t->saddr, 16);
		k->sport = t->dport;
		k->dport = t->sport;
	} else {
		__builtin_memcpy(k->saddr, t->saddr, 16);
		__builtin_memcpy(k->daddr, t->daddr, 16);
		k->sport = t->sport;
		k->dport = t->dport;
	}
	k->proto = t->proto;
	k->family = t->family;
	k->dir = dir;
}

/* How long an entry lives after this packet, from what TCP has seen of the flow. */
static __always_inline __u64 ct_lifetime(__u8 proto, __u8 tcp_seen, __u8 flags)
{
	if (proto != IPPROTO_TCP)
		return CT_LIFETIME_NONTCP * NSEC_PER_SEC;
	if (flags & CT_F_CLOSING)
		return CT_LIFETIME_CLOSE * NSEC_PER_SEC;
	if (flags & CT_F_REPLY_SEEN)
		return CT_LIFETIME_TCP * NSEC_PER_SEC;
	return CT_LIFETIME_TCP_SYN * NSEC_PER_SEC;
}

static __always_inline void ct_touch(struct ct_entry *e, __u8 proto, __u8 tcp_flags, int reply, __u32 len, __u64 now)
{
	__u8 flags = e->flags;

	if (reply) {
		flags |= CT_F_REPLY_SEEN;
		__sync_fetch_and_add(&e->reply_packets, 1);
	} else {
		__sync_fetch_and_add(&e->packets, 1);
		__sync_fetch_and_add(&e->bytes, len);
	}
	if (tcp_flags & (TCP_FIN | TCP_RST))
		flags |= CT_F_CLOSING;
	e->tcp_flags |= tcp_flags;
	e->flags = flags;
	e->expires = now + ct_lifetime(proto, e->tcp_flags, flags);
}

/* The live entry for a key (an expired one is as good as absent). */
static __always_inline struct ct_entry *ct_find(const struct ct_key *k, __u64 now)
{
	struct ct_entry *e = bpf_map_lookup_elem(&membrane_ct, k);

	return e && e->expires > now ? e : 0;
}

/*
 * The state of a packet in direction `dir`: CT_STATE_REPLY or CT_STATE_ESTABLISHED with *entry
 * set (a reply's entry touched), or CT_STATE_NEW.
 */
static __always_inline __u8 ct_lookup(const struct tuple *t, __u8 dir, __u32 len, __u64 now, struct ct_entry **entry)
{
	struct ct_key k;
	struct ct_entry *e;

	ct_key_of(t, dir == CT_EGRESS ? CT_INGRESS : CT_EGRESS, 1, &k);
	e = ct_find(&k, now);
	if (e) {
		ct_touch(e, t->proto, t->tcp_flags, 1, len, now);
		*entry = e;
		return CT_STATE_REPLY;
	}
	ct_key_of(t, dir, 0, &k);
	*entry = ct_find(&k, now);
	return *entry ? CT_STATE_ESTABLISHED : CT_STATE_NEW;
}

/* Whether an ICMP error quotes a flow tracked in either direction, either way round. */
static __always_inline int ct_is_related(const struct tuple *quoted, __u64 now)
{
	struct ct_key k;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		ct_key_of(quoted, i & 1, i >> 1, &k);
		if (ct_find(&k, now))
			return 1;
	}
	return 0;
}

/* A tracked flow decided again: what its verdict rests on, refreshed together. */
static __always_inline void ct_refresh(struct ct_entry *e, __u32 remote_identity, __u16 proxy_port, __u32 epoch, __u32 tunnel_endpoint)
{
	e->remote_identity = remote_identity;
	e->proxy_port = proxy_port;
	e->policy_epoch = epoch;
	__builtin_memcpy(e->tunnel_endpoint, &tunnel_endpoint, 4);
}


/* Records a new allowed flow, its verdict reached under `epoch`, its packets going to `tunnel_endpoint`. Returns 0, or DROP_CT_CREATE_FAILED. */
static __always_inline int ct_create(const struct tuple *t, __u8 dir, __u32 remote_identity, __u16 proxy_port, __u32 epoch,
				     __u32 tunnel_endpoint, __u32 len, __u64 now)
{
	struct ct_key k;
	struct ct_entry e = { .remote_identity = remote_identity, .proxy_port = proxy_port, .policy_epoch = epoch };

	__builtin_memcpy(e.tunnel_endpoint, &tunnel_endpoint, 4);
	ct_key_of(t, dir, 0, &k);
	ct_touch(&e, t->proto, t->tcp_flags, 0, len, now);
	return bpf_map_update_elem(&membrane_ct, &k, &e, BPF_ANY) ? DROP_CT_CREATE_FAILED : 0;
}

#endif
