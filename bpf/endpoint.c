/*
 * The endpoint programs, attached with tc to each pod's host-side veth (datapath-notes.md,
 * "Recommended datapath design"):
 *   from_container (veth ingress: what the pod sends)  → the pod's egress policy;
 *   to_container   (veth egress: what the pod receives) → the pod's ingress policy.
 * Each side enforces only its own map (policy-semantics.md §7.1): replies and related ICMP skip
 * policy, every other packet is looked up unless its flow was decided in the current policy
 * epoch, and new flows are tracked and reported.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"
#include "lib/packet.h"
#include "lib/ipcache.h"
#include "lib/endpoints.h"
#include "lib/policy.h"
#include "lib/conntrack.h"
#include "lib/events.h"
#include "lib/counters.h"
#include "lib/proxy.h"
#include "lib/tunnel.h"

#define DIR_INGRESS 1 /* Hubble's traffic_direction numbers */
#define DIR_EGRESS 2

static __always_inline int drop(struct __sk_buff *skb, const struct tuple *t, struct event_context *c, int reason)
{
	c->verdict = reason;
	/* A policy drop is also a policy verdict (Cilium sends both notifications). */
	if (reason == DROP_POLICY || reason == DROP_POLICY_DENY) {
		c->type = EVENT_POLICY_VERDICT;
		send_event(skb, t, c);
	}
	c->type = EVENT_DROP;
	count(reason == DROP_POLICY ? COUNTER_DROP_POLICY : reason == DROP_POLICY_DENY ? COUNTER_DROP_POLICY_DENY : COUNTER_DROP_OTHER,
	      skb->len);
	send_event(skb, t, c);
	return TC_ACT_SHOT;
}

/* Lets an allowed packet go: what a pod sends goes into the tunnel when `node` (its destination's,
 * tunnel_endpoint_of) is another one; what it receives is delivered. */
static __always_inline int pass(struct __sk_buff *skb, const struct tuple *t, struct event_context *c, const int egress, __u32 node)
{
	int rc;

	if (!egress)
		return TC_ACT_OK;
	rc = forward_to(skb, node, c->local_identity);
	return rc < 0 ? drop(skb, t, c, rc) : rc;
}

/*
 * Enforces one endpoint direction on a packet. `egress` is 1 in from_container (the remote end is
 * the destination) and 0 in to_container (the remote end is the source).
 */
static __always_inline int enforce(struct __sk_buff *skb, const int egress)
{
	struct packet p = {};
	struct event_context c = { .direction = egress ? DIR_EGRESS : DIR_INGRESS, .now = bpf_ktime_get_coarse_ns() };
	const __u8 dir = egress ? CT_EGRESS : CT_INGRESS;
	const struct datapath_config *cfg = datapath_config();
	/* Read before any lookup: a change the agent makes meanwhile bumps it, so a verdict reached
	 * on the old maps is never recorded under the new epoch. */
	const __u32 epoch = cfg ? *(volatile const __u32 *)&cfg->policy_epoch : 0;
	const struct endpoint_info *ep = endpoint_of(skb->ifindex, epoch);
	struct ct_entry *entry = 0;
	__u32 enforced, magic, carried, node;
	__u8 audit = 0;
	int rc;

	rc = parse_packet(skb, &p);
	if (rc == 1)
		return TC_ACT_OK; /* not IP: ARP */
	if (!ep)
		return drop(skb, &p.t, &c, DROP_NO_CONFIG); /* attached where the agent has no endpoint: fail closed */
	c.ep_id = ep->ep_id;
	c.local_identity = ep->identity;
	if (rc < 0)
		return drop(skb, &p.t, &c, rc);
	/* IPv6 link control comes from link-local or unspecified addresses, and never leaves the link. */
	if (p.icmp_kind == ICMP_KIND_NEIGHBOR) {
		count(COUNTER_FORWARDED, skb->len);
		return TC_ACT_OK;
	}
	if (egress && !endpoint_owns(ep, p.t.family, p.t.saddr))
		return drop(skb, &p.t, &c, DROP_INVALID_SIP);
	if (p.icmp_kind == ICMP_KIND_FRAG_NEEDED) {
		count(COUNTER_FORWARDED, skb->len);
		return pass(skb, &p.t, &c, egress, egress ? tunnel_endpoint_of(p.t.family, p.t.daddr) : 0);
	}
	if (p.icmp_kind == ICMP_KIND_ERROR && ct_is_related(&p.inner, c.now)) {
		count(COUNTER_RELATED, skb->len);
		return pass(skb, &p.t, &c, egress, egress ? tunnel_endpoint_of(p.t.family, p.t.daddr) : 0);
	}
	c.ct_state = ct_lookup(&p.t, dir, skb->len, c.now, &entry);
	if (c.ct_state == CT_STATE_REPLY) {
		count(COUNTER_REPLY, skb->len);
		return pass(skb, &p.t, &c, egress, egress ? ct_tunnel_endpoint(entry, epoch, p.t.family, p.t.daddr) : 0);
	}
	magic = skb->mark & MARK_MAGIC_MASK;
	carried = !egress && (magic == MARK_FROM_TUNNEL || magic == MARK_FROM_PROXY_EGRESS || magic == MARK_FROM_PROXY_INGRESS);
	/* An established flow whose verdict was reached on the maps in force (the agent bumps the
	 * epoch after every change) passes without the ipcache and policy lookups Cilium repeats per
	 * packet: the outcome is the same, and a change re-decides the flow at its next packet. An
	 * identity carried in the mark must be the one the flow was decided for by policy (not the
	 * ingress proxy's, which skips it); redirected flows always take the full path. */
	if (entry && epoch && entry->policy_epoch == epoch && !entry->proxy_port &&
	    (carried ? magic != MARK_FROM_PROXY_INGRESS && entry->remote_identity == skb->mark >> 16 : !magic)) {
		__u32 cached;

		ct_touch(entry, p.t.proto, p.t.tcp_flags, 0, skb->len, c.now);
		count(COUNTER_FORWARDED, skb->len);
		__builtin_memcpy(&cached, entry->tunnel_endpoint, 4);
		return pass(skb, &p.t, &c, egress, egress ? cached : 0);
	}
	/* Ingress from the tunnel or the egress proxy: the sender's identity came in the mark. The
	 * remote end's node is kept with the flow: where the pod's packets (its replies, on ingress) go. */
	if (carried) {
		c.remote_identity = skb->mark >> 16;
		node = tunnel_endpoint_of(p.t.family, p.t.saddr);
	} else {
		const struct ipcache_entry *remote = ipcache_lookup(p.t.family, egress ? p.t.daddr : p.t.saddr);

		c.remote_identity = remote ? remote->identity : IDENTITY_WORLD;
		node = tunnel_endpoint_in(remote, p.t.family);
	}
	if (!egress && magic == MARK_FROM_PROXY_INGRESS) {
		/* The ingress proxy already enforced this endpoint's policy on the flow (Cilium's
		 * to-container skips policy for traffic from its ingress proxy). */
		rc = 0;
	} else {
		rc = policy_lookup(ep->ep_id, c.remote_identity, egress, p.t.proto, p.t.policy_port, &c.match_type, &audit);
		if (rc == DROP_POLICY && (ep->flags & (egress ? ENDPOINT_F_EGRESS_AUDIT : ENDPOINT_F_INGRESS_AUDIT)))
			audit = 1;
		/* Audit mode (only ever set for a policy drop): it passes, reported as the drop it would have been. */
		if (audit)
			c.flags = EVENT_F_AUDIT;
		else if (rc < 0)
			/* A later fragment has no ports: only a rule that ignores them could allow it. */
			return drop(skb, &p.t, &c, p.t.nonfirst_fragment && rc == DROP_POLICY ? DROP_FRAG_NOSUPPORT : rc);
	}
	c.verdict = rc;
	/* An L7 port: the proxy decides. What the pod sends is handed to the proxy here; what it would
	 * receive is bounced to the proxy device (below), which hands it over. */
	if (rc > 0) {
		int err = egress ? redirect_to_proxy(skb, &p.t, rc, ep->identity) : cfg && cfg->proxy_ifindex ? 0 : DROP_PROXY_LOOKUP_FAILED;
		if (err)
			return drop(skb, &p.t, &c, err);
	}
	if (entry) {
		/* The flow follows the policy in force: a redirect that came after the flow began is
		 * where to_proxy must send it (a stale port 0 would drop the packet there), and the
		 * proxies read the identity it was decided for. */
		ct_refresh(entry, c.remote_identity, rc > 0 ? rc : 0, epoch, node);
		ct_touch(entry, p.t.proto, p.t.tcp_flags, 0, skb->len, c.now);
	} else {
		int err = ct_create(&p.t, dir, c.remote_identity, rc > 0 ? rc : 0, epoch, node, skb->len, c.now);
		if (err)
			return drop(skb, &p.t, &c, err);
		enforced = ep->flags & (egress ? ENDPOINT_F_EGRESS_ENFORCED : ENDPOINT_F_INGRESS_ENFORCED);
		if (enforced && magic != MARK_FROM_PROXY_INGRESS) {
			c.type = EVENT_POLICY_VERDICT;
			send_event(skb, &p.t, &c);
		}
	}
	count(COUNTER_FORWARDED, skb->len);
	/* A redirected packet goes to the proxy, never on its way (nor into the tunnel). */
	if (rc > 0)
		return egress || !cfg ? TC_ACT_OK : bpf_redirect(cfg->proxy_ifindex, BPF_F_INGRESS);
	return pass(skb, &p.t, &c, egress, node);
}

SEC("tc")
int from_container(struct __sk_buff *skb)
{
	return enforce(skb, 1);
}

SEC("tc")
int to_container(struct __sk_buff *skb)
{
	return enforce(skb, 0);
}

/*
 * What arrives from another node for a pod's address may answer the egress proxy, which connected
 * from that address (to_proxy_upstream); only then is a socket looked up. Anything else, even what
 * does not parse, goes on: the endpoint programs judge what reaches a pod. A tc action.
 */
static __always_inline int from_node(struct __sk_buff *skb)
{
	const struct datapath_config *cfg;
	struct packet p = {};
	struct event_context c = { .direction = DIR_INGRESS };
	__u16 port;
	int rc;

	if (parse_packet(skb, &p) != 0 || (p.t.proto != IPPROTO_TCP && p.t.proto != IPPROTO_UDP))
		return TC_ACT_OK;
	/* Most packets to pods are to ports the proxy's upstream sockets never take: no lookups. */
	cfg = datapath_config();
	port = bpf_ntohs(p.t.dport);
	if (cfg && (cfg->flags & DATAPATH_F_PROXY_UPSTREAM_PORTS) && (port < PROXY_UPSTREAM_PORT_MIN || port > PROXY_UPSTREAM_PORT_MAX))
		return TC_ACT_OK;
	if (!ipcache_is_pod(p.t.family, p.t.daddr))
		return TC_ACT_OK;
	rc = to_proxy_upstream(skb, &p.t);
	if (rc >= 0)
		return TC_ACT_OK;
	c.now = bpf_ktime_get_coarse_ns();
	return drop(skb, &p.t, &c, rc);
}

/* On the VXLAN device's ingress: the VNI is the sender's identity; the decapsulated frame was
 * addressed to the sending node's device, so it is taken as the host's own. */
SEC("tc")
int from_overlay(struct __sk_buff *skb)
{
	struct bpf_tunnel_key key = {};

	if (bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0) < 0 || key.tunnel_id > 0xffff)
		return TC_ACT_SHOT;
	set_mark(skb, MARK_FROM_TUNNEL | (key.tunnel_id << 16));
	bpf_skb_change_type(skb, PACKET_HOST);
	return from_node(skb);
}

/* On the node's uplink, ingress (in either routing mode): replies from other nodes' pods to the
 * egress proxy's connections go to them; everything else goes on as it is. */
SEC("tc")
int from_netdev(struct __sk_buff *skb)
{
	return from_node(skb);
}

/* On the proxy device's ingress: flows to_container bounced for an ingress L7 redirect. */
SEC("tc")
int to_proxy(struct __sk_buff *skb)
{
	struct packet p = {};
	struct event_context c = { .direction = DIR_INGRESS, .now = bpf_ktime_get_coarse_ns() };
	int rc = parse_packet(skb, &p);

	if (rc == 1)
		return TC_ACT_SHOT;
	if (rc < 0)
		return drop(skb, &p.t, &c, rc);
	rc = redirect_ingress_to_proxy(skb, &p.t, c.now);
	if (rc)
		return drop(skb, &p.t, &c, rc);
	/* The frame was addressed to the endpoint's device: take it as this host's own. */
	bpf_skb_change_type(skb, PACKET_HOST);
	return TC_ACT_OK;
}

/*
 * On the node's own uplink, egress: in tunnel routing, a connection out of the egress proxy to a
 * pod on another node goes into the tunnel with the proxied source's identity (from its mark) as
 * the VNI, as that source's own packets would (Cilium's to-netdev / host encapsulation).
 * Everything else, and everything in native routing, leaves as it is.
 */
SEC("tc")
int to_netdev(struct __sk_buff *skb)
{
	struct packet p = {};
	int rc;

	if ((skb->mark & MARK_MAGIC_MASK) != MARK_FROM_PROXY_EGRESS || parse_packet(skb, &p) != 0)
		return TC_ACT_OK;
	rc = forward(skb, &p.t, skb->mark >> 16);
	return rc < 0 ? TC_ACT_SHOT : rc;
}

char LICENSE[] SEC("license") = "GPL";
