// Test fixture for the kernel bridge: a tc program whose verdict for an IPv4 packet is the value
// the `verdicts` map holds for its source address (TC_ACT_SHOT when absent); `hits` counts packets.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, 64);
  __type(key, __u32);
  __type(value, __u32);
} verdicts SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u64);
} hits SEC(".maps");

SEC("tc")
int verdict_by_source(struct __sk_buff *skb) {
  void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
  struct ethhdr *eth = data;
  struct iphdr *ip = data + sizeof(*eth);
  if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_SHOT;
  __u32 zero = 0;
  __u64 *count = bpf_map_lookup_elem(&hits, &zero);
  if (count) __sync_fetch_and_add(count, 1);
  __u32 saddr = ip->saddr;
  __u32 *verdict = bpf_map_lookup_elem(&verdicts, &saddr);
  return verdict ? (int)*verdict : TC_ACT_SHOT;
}

char LICENSE[] SEC("license") = "GPL";
