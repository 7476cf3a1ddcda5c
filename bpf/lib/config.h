/* The datapath's settings (struct datapath_config), written by the agent: one array entry. */
#ifndef MEMBRANE_LIB_CONFIG_H
#define MEMBRANE_LIB_CONFIG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct datapath_config);
} membrane_config SEC(".maps");

/* The settings (all zero until the agent writes them). */
static __always_inline const struct datapath_config *datapath_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&membrane_config, &zero);
}

#endif
