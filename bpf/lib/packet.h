/*
 * Parsing a packet into the tuple conntrack and policy need: family, addresses, protocol, ports
 * (for ICMP the identifier as the conntrack port and the type as the policy port, as Cilium's
 * ICMP rules look up the type — policy-semantics.md §7.3), TCP flags, and for ICMP errors the
 * tuple of the packet they quote (to find the flow they are related to).
 */
#ifndef MEMBRANE_LIB_PACKET_H
#define MEMBRANE_LIB_PACKET_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "membrane/abi.h"

#define IPPROTO_ICMPV6_ 58
#define IPV6_MAX_EXTHDRS 4

/* The addresses, protocol and ports of one IP packet (outer or quoted). */
struct tuple {
	__u8 saddr[16];
	__u8 daddr[16];
	__be16 sport; /* conntrack ports: for ICMP echo the identifier on the requester's side */
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 tcp_flags;
	__u8 nonfirst_fragment;
	__u16 policy_port; /* host order: the destination port, or the ICMP type */
	__u8 icmp_type;
	__u8 icmp_code;
};

#define ICMP_KIND_NONE 0
#define ICMP_KIND_ECHO_REQUEST 1
#define ICMP_KIND_ECHO_REPLY 2
#define ICMP_KIND_ERROR 3       /* quotes the packet it is about */
#define ICMP_KIND_FRAG_NEEDED 4 /* always allowed (Cilium's allow-icmp-frag-needed) */
#define ICMP_KIND_NEIGHBOR 5    /* IPv6 link control (neighbour/router discovery, MLD): never subject to policy */
#define ICMP_KIND_OTHER 6

struct packet {
	struct tuple t;
	__u8 icmp_kind;
	__u32 l4_off; /* where the L4 header starts */
	struct tuple inner; /* for ICMP_KIND_ERROR: the quoted packet */
};

/*
 * Sets skb->mark through a fresh context access. Without the barrier clang may reuse a pointer it
 * derived from skb for an earlier read of the mark, and the verifier refuses a store through a
 * modified context pointer ("dereference of modified ctx ptr").
 */
static __always_inline void set_mark(struct __sk_buff *skb, __u32 mark)
{
	asm volatile("" : "+r"(skb));
	skb->mark = mark;
}

/*
 * Copies `len` bytes at `off` of the frame into `to`: straight from the linear part of the skb when
 * they lie in it (what a veth carries: the stack builds headers linear), else through
 * bpf_skb_load_bytes. A helper call costs 50-90 ns on this machine kind (the SRSO "safe RET"
 * mitigation, datapath-notes.md §8), and a packet's headers took three. Returns 0 or negative.
 */
#define PACKET_DIRECT_MAX_OFF 256
static __always_inline int load(struct __sk_buff *skb, __u32 off, void *to, const __u32 len)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;

	if (off <= PACKET_DIRECT_MAX_OFF && data + off + len <= end) {
		__builtin_memcpy(to, data + off, len);
		return 0;
	}
	return bpf_skb_load_bytes(skb, off, to, len);
}

/* The ICMP kinds, by family and type (RFC 792 / RFC 4443 numbers). */
static __always_inline __u8 icmp_kind_of(__u8 family, __u8 type, __u8 code)
{
	if (family == 4) {
		switch (type) {
		case 8: return ICMP_KIND_ECHO_REQUEST;
		case 0: return ICMP_KIND_ECHO_REPLY;
		case 3: return code == 4 ? ICMP_KIND_FRAG_NEEDED : ICMP_KIND_ERROR;
		case 11: case 12: return ICMP_KIND_ERROR;
		}
		return ICMP_KIND_OTHER;
	}
	switch (type) {
	case 128: return ICMP_KIND_ECHO_REQUEST;
	case 129: return ICMP_KIND_ECHO_REPLY;
	case 2: return ICMP_KIND_FRAG_NEEDED; /* packet too big */
	case 1: case 3: case 4: return ICMP_KIND_ERROR;
	case 130: case 131: case 132: case 133: case 134: case 135: case 136: case 137: case 143:
		return ICMP_KIND_NEIGHBOR;
	}
	return ICMP_KIND_OTHER;
}

/*
 * Reads the IP header at `off` and, unless it is a later fragment, the start of its L4 header.
 * Returns the L4 offset, or a negative drop code. `*icmp_kind` is set for ICMP.
 */
static __always_inline int parse_ip(struct __sk_buff *skb, __u32 off, __u8 family, struct tuple *t, __u8 *icmp_kind)
{
	__u8 proto;

	t->family = family;
	if (family == 4) {
		struct { __u8 vihl, tos; __be16 len, id, frag; __u8 ttl, proto; __be16 csum; __u8 s[4], d[4]; } ip4;
		if (load(skb, off, &ip4, sizeof(ip4)) < 0)
			return DROP_INVALID;
		if ((ip4.vihl >> 4) != 4 || (ip4.vihl & 0xf) < 5)
			return DROP_INVALID;
		__builtin_memcpy(t->saddr, ip4.s, 4);
		__builtin_memcpy(t->daddr, ip4.d, 4);
		proto = ip4.proto;
		t->nonfirst_fragment = (bpf_ntohs(ip4.frag) & 0x1fff) != 0;
		off += (ip4.vihl & 0xf) * 4;
	} else {
		struct { __be32 vtcfl; __be16 len; __u8 nexthdr, hop; __u8 s[16], d[16]; } ip6;
		if (load(skb, off, &ip6, sizeof(ip6)) < 0)
			return DROP_INVALID;
		__builtin_memcpy(t->saddr, ip6.s, 16);
		__builtin_memcpy(t->daddr, ip6.d, 16);
		proto = ip6.nexthdr;
		off += sizeof(ip6);
		/* Skip hop-by-hop, routing and destination options; note a fragment header. */
		for (int i = 0; i < IPV6_MAX_EXTHDRS; i++) {
			struct { __u8 next, len; __be16 frag; } ext;
			if (proto != 0 && proto != 43 && proto != 60 && proto != 44)
				break;
			if (load(skb, off, &ext, sizeof(ext)) < 0)
				return DROP_INVALID;
			if (proto == 44) {
				t->nonfirst_fragment = (bpf_ntohs(ext.frag) & 0xfff8) != 0;
				off += 8;
			} else {
				off += (ext.len + 1) * 8;
			}
			proto = ext.next;
		}
	}
	t->proto = proto;
	if (t->nonfirst_fragment)
		return off;
	switch (proto) {
	case IPPROTO_TCP: {
		struct { __be16 sport, dport; __be32 seq, ack; __u8 doff, flags; } tcp;
		if (load(skb, off, &tcp, sizeof(tcp)) < 0)
			return DROP_CT_INVALID_HDR;
		t->sport = tcp.sport;
		t->dport = tcp.dport;
		t->tcp_flags = tcp.flags;
		t->policy_port = bpf_ntohs(tcp.dport);
		break;
	}
	case IPPROTO_UDP:
	case IPPROTO_SCTP: {
		struct { __be16 sport, dport; } ports;
		if (load(skb, off, &ports, sizeof(ports)) < 0)
			return DROP_CT_INVALID_HDR;
		t->sport = ports.sport;
		t->dport = ports.dport;
		t->policy_port = bpf_ntohs(ports.dport);
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6_: {
		struct { __u8 type, code; __be16 csum, id; } icmp;
		if ((proto == IPPROTO_ICMP) != (family == 4))
			return DROP_CT_UNKNOWN_PROTO;
		if (load(skb, off, &icmp, sizeof(icmp)) < 0)
			return DROP_CT_INVALID_HDR;
		t->icmp_type = icmp.type;
		t->icmp_code = icmp.code;
		t->policy_port = icmp.type;
		*icmp_kind = icmp_kind_of(family, icmp.type, icmp.code);
		/* An echo request and its reply share one conntrack entry: the identifier is the
		 * requester's port; other ICMP messages are told apart by their type. */
		if (*icmp_kind == ICMP_KIND_ECHO_REQUEST)
			t->sport = icmp.id;
		else if (*icmp_kind == ICMP_KIND_ECHO_REPLY)
			t->dport = icmp.id;
		else
			t->dport = bpf_htons(icmp.type);
		break;
	}
	default:
		return DROP_CT_UNKNOWN_PROTO;
	}
	return off;
}

/*
 * Parses an Ethernet frame. Returns 1 for a packet that is not IP (ARP passes, as in Cilium),
 * 0 for a parsed IP packet, or a negative drop code.
 */
static __always_inline int parse_packet(struct __sk_buff *skb, struct packet *p)
{
	__be16 ethertype;
	__u8 family, unused;
	int off;

	if (load(skb, 12, &ethertype, sizeof(ethertype)) < 0)
		return DROP_INVALID;
	if (ethertype == bpf_htons(ETH_P_IP))
		family = 4;
	else if (ethertype == bpf_htons(ETH_P_IPV6))
		family = 6;
	else if (ethertype == bpf_htons(ETH_P_ARP))
		return 1;
	else
		return DROP_UNKNOWN_L3;
	off = parse_ip(skb, ETH_HLEN, family, &p->t, &p->icmp_kind);
	if (off < 0)
		return off;
	p->l4_off = off;
	if (p->icmp_kind == ICMP_KIND_ERROR) {
		/* The quoted packet follows the 8-byte ICMP header; a malformed quote is just unrelated. */
		if (parse_ip(skb, off + 8, family, &p->inner, &unused) < 0)
			p->icmp_kind = ICMP_KIND_OTHER;
	}
	return 0;
}

#endif
