/* Per-CPU packet and byte counters by outcome (COUNTER_*), read and summed by the agent. */
#ifndef MEMBRANE_LIB_COUNTERS_H
#define MEMBRANE_LIB_COUNTERS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNTER_MAX);
	__type(key, __u32);
	__type(value, struct counter);
} membrane_counters SEC(".maps");

static __always_inline void count(__u32 index, __u32 bytes)
{
	struct counter *c = bpf_map_lookup_elem(&membrane_counters, &index);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

#endif
