// Test fixture for the conntrack migration: the conntrack map as programs before the one-key layout
// pinned it (`membrane_ct`, keyed by the tuple as opened and the program that made the entry).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "membrane/abi.h"

struct ct_key_v1 {
  __u8 saddr[16];
  __u8 daddr[16];
  __be16 sport;
  __be16 dport;
  __u8 proto;
  __u8 family;
  __u8 dir;
  __u8 pad;
};

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __uint(max_entries, 1024);
  __type(key, struct ct_key_v1);
  __type(value, struct ct_entry);
} membrane_ct SEC(".maps");

char LICENSE[] SEC("license") = "GPL";
