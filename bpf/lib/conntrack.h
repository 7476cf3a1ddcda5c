/*
 * Connection tracking (Cilium's bpf/lib/conntrack.h, simplified): each endpoint tracks the flows it
 * takes part in, so a pod-to-pod flow is tracked once at each end. An entry is keyed by its flow's
 * two ends in a canonical order plus which end is the endpoint's (abi.h ct_key), so both
 * directions of a flow find it with one lookup; the entry says which way the flow was opened. A
 * packet going the other way is a reply and skips policy (§7.1); an ICMP error quoting a tracked
 * flow is related and skips it too. An original-direction packet keeps its flow's verdict only
 * while the policy epoch it was reached in is current (endpoint.c): any map change the agent makes
 * decides every flow again. Cilium keys an entry by the tuple as opened and looks a packet up as a
 * reply first, then as original: that missed lookup was a third of an established packet's cost
 * here (bench/datapath-packet.ts). Lifetimes follow Cilium's defaults; the LRU map evicts under
 * pressure and the agent collects expired entries.
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

/* A pinned map is reused by the next load: a new key or entry layout takes a new name, and the
 * loader carries the entries over (packages/datapath/src/loader/migrate-conntrack.ts). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CT_MAP_SIZE);
	__type(key, struct ct_key);
	__type(value, struct ct_entry);
} membrane_ct_v2 SEC(".maps");

/* The direction a packet is seen in at its endpoint: sent by it (from-container) or to it (to-container). */
#define CT_EGRESS 0
#define CT_INGRESS 1

/* A big-endian 64-bit word of an address, so that words compare as the bytes do. */
static __always_inline __u64 ct_word(const __u8 *addr)
{
	__u64 w;

	__builtin_memcpy(&w, addr, 8);
	return bpf_be64_to_cpu(w);
}

/* Whether end (a, a_port) sorts before end (b, b_port): by address byte by byte, then by port. */
static __always_inline int ct_end_before(const __u8 *a, __be16 a_port, const __u8 *b, __be16 b_port)
{
	__u64 a0 = ct_word(a), b0 = ct_word(b), a1 = ct_word(a + 8), b1 = ct_word(b + 8);

	if (a0 != b0)
		return a0 < b0;
	if (a1 != b1)
		return a1 < b1;
	return bpf_ntohs(a_port) < bpf_ntohs(b_port);
}

/* The key of a packet's flow at the endpoint that sees it in direction `dir`: the source's on egress, the destination's on ingress. */
static __always_inline void ct_key_of(const struct tuple *t, __u8 dir, struct ct_key *k)
{
	const int source_lo = ct_end_before(t->saddr, t->sport, t->daddr, t->dport);

	__builtin_memset(k, 0, sizeof(*k));
	if (source_lo) {
		__builtin_memcpy(k->lo_addr, t->saddr, 16);
		__builtin_memcpy(k->hi_addr, t->daddr, 16);
		k->lo_port = t->sport;
		k->hi_port = t->dport;
	} else {
		__builtin_memcpy(k->lo_addr, t->daddr, 16);
		__builtin_memcpy(k->hi_addr, t->saddr, 16);
		k->lo_port = t->dport;
		k->hi_port = t->sport;
	}
	k->proto = t->proto;
	k->family = t->family;
	k->endpoint_end = (dir == CT_EGRESS) == source_lo ? CT_END_LO : CT_END_HI;
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
	struct ct_entry *e = bpf_map_lookup_elem(&membrane_ct_v2, k);

	return e && e->expires > now ? e : 0;
}

/*
 * The state of a packet seen in direction `dir`: CT_STATE_REPLY (its entry touched) or
 * CT_STATE_ESTABLISHED with *entry set, or CT_STATE_NEW.
 */
static __always_inline __u8 ct_lookup(const struct tuple *t, __u8 dir, __u32 len, __u64 now, struct ct_entry **entry)
{
	struct ct_key k;
	struct ct_entry *e;

	ct_key_of(t, dir, &k);
	e = ct_find(&k, now);
	*entry = e;
	if (!e)
		return CT_STATE_NEW;
	if (!(e->flags & CT_F_INGRESS) == (dir == CT_EGRESS))
		return CT_STATE_ESTABLISHED;
	ct_touch(e, t->proto, t->tcp_flags, 1, len, now);
	return CT_STATE_REPLY;
}

/* Whether an ICMP error quotes a flow tracked at either of its ends. */
static __always_inline int ct_is_related(const struct tuple *quoted, __u64 now)
{
	struct ct_key k;

	ct_key_of(quoted, CT_EGRESS, &k);
	if (ct_find(&k, now))
		return 1;
	ct_key_of(quoted, CT_INGRESS, &k);
	return ct_find(&k, now) != 0;
}

/* A tracked flow decided again: what its verdict rests on, refreshed together. */
static __always_inline void ct_refresh(struct ct_entry *e, __u32 remote_identity, __u16 proxy_port, __u32 epoch, __u32 tunnel_endpoint)
{
	e->remote_identity = remote_identity;
	e->proxy_port = proxy_port;
	e->policy_epoch = epoch;
	__builtin_memcpy(e->tunnel_endpoint, &tunnel_endpoint, 4);
}


/* Records a new allowed flow opened in direction `dir`, its verdict reached under `epoch`, its packets going to `tunnel_endpoint`. Returns 0, or DROP_CT_CREATE_FAILED. */
static __always_inline int ct_create(const struct tuple *t, __u8 dir, __u32 remote_identity, __u16 proxy_port, __u32 epoch,
				     __u32 tunnel_endpoint, __u32 len, __u64 now)
{
	struct ct_key k;
	struct ct_entry e = { .remote_identity = remote_identity,
			      .proxy_port = proxy_port,
			      .policy_epoch = epoch,
			      .flags = dir == CT_INGRESS ? CT_F_INGRESS : 0 };

	__builtin_memcpy(e.tunnel_endpoint, &tunnel_endpoint, 4);
	ct_key_of(t, dir, &k);
	ct_touch(&e, t->proto, t->tcp_flags, 0, len, now);
	return bpf_map_update_elem(&membrane_ct_v2, &k, &e, BPF_ANY) ? DROP_CT_CREATE_FAILED : 0;
}

#endif
