/*
 * Every struct and constant shared between the datapath and TypeScript. packages/datapath/src/codec/
 * mirrors them byte for byte, and a test (codec/abi-layout.test.ts) compiles this header to check
 * each size and offset against the codec. Multi-byte fields are in host order except ports and
 * the address bytes, which are in network order.
 */
#ifndef MEMBRANE_INCLUDE_ABI_H
#define MEMBRANE_INCLUDE_ABI_H

#include <linux/types.h>

/* ------------------------------------------------------------------ policy map (lib/policy.h) */

/*
 * A policy map key: one LPM trie holds every endpoint's map. ep_id, identity and egress always
 * match in full (POLICY_FIXED_PREFIX bits); then the protocol (8 bits, absent for "any protocol")
 * and a prefix of the big-endian destination port (0..16 bits) — the engine's PolicyKey
 * {identity, proto, port, prefixLen}, as in Cilium's bpf/lib/policy.h.
 */
struct policy_key {
	__u32 prefixlen;
	__u32 ep_id;
	__u32 identity; /* 0: any peer (the L4-only lookup) */
	__u8 egress;    /* 0: ingress, 1: egress */
	__u8 proto;
	__be16 dport;
} __attribute__((packed));

#define POLICY_FIXED_PREFIX (32 + 32 + 8)
#define POLICY_FULL_PREFIX (POLICY_FIXED_PREFIX + 8 + 16)

struct policy_entry {
	__u16 proxy_port;        /* non-zero: redirect to this L7 proxy port */
	__u16 precedence;        /* a deny has 0x1ff; a redirect outranks a plain allow */
	__u8 deny;               /* POLICY_ENTRY_* */
	__u8 lpm_prefix_length;  /* bits of the key after the fixed prefix: 0, or 8 + port prefix */
	__u16 pad;
};

/* policy_entry.deny: an allow, a deny, or a deny whose policies are all in audit mode (the packet
 * passes, reported AUDIT). */
#define POLICY_ENTRY_ALLOW 0
#define POLICY_ENTRY_DENY 1
#define POLICY_ENTRY_DENY_AUDIT 2

/* Policy-verdict match types (Hubble's policy_match_type; policy-semantics.md §7.2). */
#define MATCH_NONE 0
#define MATCH_L3_ONLY 1
#define MATCH_L3_L4 2
#define MATCH_L4_ONLY 3
#define MATCH_ALL 4
#define MATCH_L3_PROTO 5
#define MATCH_PROTO_ONLY 6

/* ------------------------------------------------------------------ ipcache (lib/ipcache.h) */

/*
 * An ipcache key: the family always matches (IPCACHE_FIXED_PREFIX bits), then a prefix of the
 * address. IPv4 addresses use the first 4 bytes of addr.
 */
struct ipcache_key {
	__u32 prefixlen;
	__u8 family; /* 4 or 6 */
	__u8 pad[3];
	__u8 addr[16];
} __attribute__((packed));

#define IPCACHE_FIXED_PREFIX 32

struct ipcache_entry {
	__u32 identity;
	__u8 tunnel_endpoint[4]; /* the node that hosts the address (0: local or none) */
	__u32 flags;
};

/* ------------------------------------------------------------------ endpoints (lib/endpoints.h) */

/* The endpoint behind a host-side veth, keyed by its ifindex. */
struct endpoint_info {
	__u32 ep_id;
	__u32 identity;
	__u32 flags;     /* ENDPOINT_F_* */
	__u8 ipv4[4];    /* the pod's addresses: anything else it sends is spoofed */
	__u8 ipv6[16];
};

#define ENDPOINT_F_INGRESS_ENFORCED 1 /* policy-verdict events are sent only for enforced directions */
#define ENDPOINT_F_EGRESS_ENFORCED 2
#define ENDPOINT_F_HAS_IPV4 4
#define ENDPOINT_F_HAS_IPV6 8
/* Audit mode (policy-semantics.md §9): a drop for want of an allow in this direction passes and is
 * reported AUDIT (the endpoint, its namespace, or every policy that made the direction default
 * deny is in audit mode). */
#define ENDPOINT_F_INGRESS_AUDIT 16
#define ENDPOINT_F_EGRESS_AUDIT 32

/* ------------------------------------------------------------------ proxy origins (lib/proxy.h) */

/* A datagram handed to a proxy's unconnected UDP socket does not tell Node where it was going (no
 * IP_ORIGDSTADDR in Node's dgram): the datapath records each redirected UDP flow's original
 * destination and source identity by its source, as Cilium's early proxy map did. */
struct proxy_origin_key {
	__u8 saddr[16];
	__be16 sport;
	__u8 proto;
	__u8 family;
};

struct proxy_origin {
	__u8 daddr[16];
	__be16 dport;
	__u16 pad;
	__u32 identity; /* the source's */
};

/* ------------------------------------------------------------------ conntrack (lib/conntrack.h) */

/*
 * A flow as one endpoint tracks it, one key for both of its directions: the flow's two ends in a
 * canonical order (the lower address first, compared byte by byte, then the lower port) and which
 * of them is the endpoint's. Which way the flow was opened is in the entry (CT_F_INGRESS).
 */
struct ct_key {
	__u8 lo_addr[16];
	__u8 hi_addr[16];
	__be16 lo_port;
	__be16 hi_port;
	__u8 proto;
	__u8 family;
	__u8 endpoint_end; /* CT_END_LO or CT_END_HI: the endpoint's end of the flow */
	__u8 pad;
};

#define CT_END_LO 0
#define CT_END_HI 1

struct ct_entry {
	__u64 expires;        /* deadline on CLOCK_MONOTONIC (read coarse: bpf_ktime_get_coarse_ns()) */
	__u64 packets;        /* the direction the flow was opened in */
	__u64 bytes;
	__u64 reply_packets;
	__u32 remote_identity;
	__u16 proxy_port;
	__u8 tcp_flags;       /* every TCP flag seen, both directions */
	__u8 flags;           /* CT_F_* */
	__u32 policy_epoch;   /* datapath_config.policy_epoch the flow's verdict was reached under */
	__u8 tunnel_endpoint[4]; /* tunnel routing: the node where what this endpoint sends on the flow
				  * goes (the ipcache's, read with the verdict); 0: not through the tunnel */
};

#define CT_F_REPLY_SEEN 1
#define CT_F_CLOSING 2
#define CT_F_INGRESS 4 /* opened towards the endpoint (made by to-container); else by it (from-container) */

/* Lifetimes in seconds (Cilium's defaults: ct-timeout-regular-tcp-syn, -tcp, -tcp-fin, -any). */
#define CT_LIFETIME_TCP_SYN 60
#define CT_LIFETIME_TCP 21600
#define CT_LIFETIME_CLOSE 10
#define CT_LIFETIME_NONTCP 60

/* ------------------------------------------------------------------ events (lib/events.h) */

#define EVENT_POLICY_VERDICT 1 /* a new flow in an enforced direction, allowed or not */
#define EVENT_DROP 2           /* any dropped packet, with its reason */

#define CT_STATE_NEW 0
#define CT_STATE_ESTABLISHED 1
#define CT_STATE_REPLY 2
#define CT_STATE_RELATED 3

/* event.flags: a policy verdict whose drop audit mode turned into a pass (verdict: the drop code). */
#define EVENT_F_AUDIT 1

struct event {
	__u8 type;       /* EVENT_* */
	__u8 direction;  /* 1 ingress, 2 egress (Hubble's traffic_direction) */
	__u8 family;     /* 4 or 6 */
	__u8 proto;
	__u8 match_type; /* MATCH_* */
	__u8 ct_state;   /* CT_STATE_* */
	__u8 tcp_flags;
	__u8 flags;      /* EVENT_F_* */
	__u32 ep_id;
	__u32 local_identity;
	__u32 remote_identity;
	__s32 verdict;   /* 0 allowed, > 0 proxy port, < 0 drop code */
	__be16 sport;
	__be16 dport;    /* for ICMP: the type, as the policy lookup used it */
	__u32 ifindex;
	__u32 len;
	__u32 pad2;
	__u64 timestamp; /* bpf_ktime_get_ns() */
	__u8 saddr[16];
	__u8 daddr[16];
};

/* The datapath's settings, the single entry of membrane_config. */
struct datapath_config {
	__u32 events_per_second; /* per CPU; 0: unlimited */
	__u32 flags;             /* DATAPATH_F_* */
	__u32 tunnel_ifindex;    /* the VXLAN device (tunnel routing); 0: native routing */
	__u32 proxy_ifindex;     /* the device whose ingress hands redirected ingress flows to the proxy; 0: none */
	__u32 policy_epoch;      /* bumped by the agent after every change of the policy, endpoints or ipcache maps; 0: never cache verdicts */
};

/* The egress proxy's transparent upstream sockets take their ports from [PROXY_UPSTREAM_PORT_MIN,
 * PROXY_UPSTREAM_PORT_MAX] (IP_LOCAL_PORT_RANGE, Linux 6.3+, a part of the node's ephemeral
 * range, which the kernel insists on): only a packet to such a port can answer one, and from_netdev
 * looks up no socket for the others. The agent sets the flag when the node's kernel does so. */
#define DATAPATH_F_PROXY_UPSTREAM_PORTS 1
#define PROXY_UPSTREAM_PORT_MIN 60000
#define PROXY_UPSTREAM_PORT_MAX 60999

/* ------------------------------------------------------------------ counters (lib/counters.h) */

/* Indexes of membrane_counters (per CPU, packets and bytes each). */
#define COUNTER_FORWARDED 0
#define COUNTER_REPLY 1
#define COUNTER_RELATED 2
#define COUNTER_DROP_POLICY 3
#define COUNTER_DROP_POLICY_DENY 4
#define COUNTER_DROP_OTHER 5
#define COUNTER_EVENTS_RATE_LIMITED 6
#define COUNTER_EVENTS_LOST 7
#define COUNTER_MAX 8

struct counter {
	__u64 packets;
	__u64 bytes;
};

/* ------------------------------------------------------------------ marks */

/* skb->mark of a packet handed to the L7 proxy: 0x200 in the magic nibble (routed locally by the
 * agent's `ip rule fwmark 0x200/0xf00`); nothing above it. */
#define MARK_TO_PROXY 0x200
#define MARK_MAGIC_MASK 0xf00
/* A packet that came out of the tunnel: the sender's identity (from the VNI) in the upper 16 bits,
 * which the receiving endpoint trusts instead of its ipcache (Cilium's MARK_MAGIC_IDENTITY). */
#define MARK_FROM_TUNNEL 0xf00
/* Set by membrane's proxies on their upstream sockets (SO_MARK), the source identity above it
 * (Cilium's MARK_MAGIC_PROXY_INGRESS / _EGRESS): a flow out of the egress proxy is still checked
 * against the destination's ingress policy as its source's identity, not as the host; a flow out
 * of the ingress proxy was already decided by the proxy and is delivered. Pods cannot forge
 * either: a packet's mark is cleared when it crosses from the pod's namespace. */
#define MARK_FROM_PROXY_INGRESS 0xa00
#define MARK_FROM_PROXY_EGRESS 0xb00

/* ------------------------------------------------------------------ drop codes */

/* Cilium's bpf/lib/common.h drop reasons, negated as the datapath returns them. */
#define DROP_INVALID_SIP (-132)
#define DROP_POLICY (-133)
#define DROP_INVALID (-134)
#define DROP_CT_INVALID_HDR (-135)
#define DROP_CT_UNKNOWN_PROTO (-137)
#define DROP_UNKNOWN_L3 (-139)
#define DROP_WRITE_ERROR (-141)
#define DROP_CT_CREATE_FAILED (-155)
#define DROP_FRAG_NOSUPPORT (-157)
#define DROP_NO_CONFIG (-165)
#define DROP_PROXY_LOOKUP_FAILED (-178)
#define DROP_PROXY_SET_FAILED (-179)
#define DROP_PROXY_UNKNOWN_PROTO (-180)
#define DROP_POLICY_DENY (-181)

#endif
