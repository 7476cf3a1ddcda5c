/*
 * Events to the agent through a ring buffer: a policy verdict for each new flow in an enforced
 * direction, and every drop with its reason (policy-semantics.md §7.4). Each CPU may send at most
 * `events_per_second` (membrane_config) per one-second window; the rest are counted, not sent, so a
 * flood of drops cannot starve the agent (Cilium rate-limits its monitor events the same way).
 */
#ifndef MEMBRANE_LIB_EVENTS_H
#define MEMBRANE_LIB_EVENTS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"
#include "lib/config.h"
#include "lib/counters.h"
#include "lib/packet.h"

#ifndef EVENTS_RING_SIZE
#define EVENTS_RING_SIZE (1 << 22)
#endif

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, EVENTS_RING_SIZE);
} membrane_events SEC(".maps");

struct event_budget {
	__u64 window_start;
	__u32 sent;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct event_budget);
} membrane_event_budget SEC(".maps");

static __always_inline int event_allowed(__u64 now)
{
	__u32 zero = 0;
	const struct datapath_config *cfg = datapath_config();
	struct event_budget *b = bpf_map_lookup_elem(&membrane_event_budget, &zero);

	if (!cfg || !b || cfg->events_per_second == 0)
		return 1;
	if (now - b->window_start >= 1000000000ULL) {
		b->window_start = now;
		b->sent = 0;
	}
	if (b->sent >= cfg->events_per_second)
		return 0;
	b->sent++;
	return 1;
}

/* What an endpoint program knows when it reports a packet. */
struct event_context {
	__u8 type;
	__u8 direction;
	__u8 match_type;
	__u8 ct_state;
	__u8 flags; /* EVENT_F_* */
	__u32 ep_id;
	__u32 local_identity;
	__u32 remote_identity;
	__s32 verdict;
	__u64 now; /* the coarse monotonic clock when the program began: conntrack deadlines, event budgets */
};

static __always_inline void send_event(struct __sk_buff *skb, const struct tuple *t, const struct event_context *c)
{
	struct event *ev;

	if (!event_allowed(c->now)) {
		count(COUNTER_EVENTS_RATE_LIMITED, 0);
		return;
	}
	ev = bpf_ringbuf_reserve(&membrane_events, sizeof(*ev), 0);
	if (!ev) {
		count(COUNTER_EVENTS_LOST, 0);
		return;
	}
	ev->type = c->type;
	ev->direction = c->direction;
	ev->family = t->family;
	ev->proto = t->proto;
	ev->match_type = c->match_type;
	ev->ct_state = c->ct_state;
	ev->tcp_flags = t->tcp_flags;
	ev->flags = c->flags;
	ev->ep_id = c->ep_id;
	ev->local_identity = c->local_identity;
	ev->remote_identity = c->remote_identity;
	ev->verdict = c->verdict;
	ev->sport = t->sport;
	ev->dport = bpf_htons(t->policy_port);
	ev->ifindex = skb->ifindex;
	ev->len = skb->len;
	ev->pad2 = 0;
	ev->timestamp = bpf_ktime_get_ns(); /* precise: flows are ordered by it */
	__builtin_memcpy(ev->saddr, t->saddr, 16);
	__builtin_memcpy(ev->daddr, t->daddr, 16);
	bpf_ringbuf_submit(ev, 0);
}

#endif
