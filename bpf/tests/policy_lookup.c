/*
 * Unit-test entry for lib/policy.h through BPF_PROG_TEST_RUN: the packet carries, after a 14-byte
 * Ethernet header (the minimum the kernel accepts), one lookup query; the return code is the verdict.
 */
#include "lib/policy.h"

struct policy_query {
	__u32 ep_id;
	__u32 identity;
	__u8 egress;
	__u8 proto;
	__u16 dport; /* host order */
} __attribute__((packed));

SEC("tc")
int policy_lookup_test(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct policy_query *q = data + 14;
	__u8 match_type, audit;

	if ((void *)(q + 1) > end)
		return -1;
	return policy_lookup(q->ep_id, q->identity, q->egress, q->proto, q->dport, &match_type, &audit);
}

char LICENSE[] SEC("license") = "GPL";
