/** membrane's eBPF datapath (Node + Linux, root). */
export * from "./kernel/bpf.ts";
export { compileBpf, BPF_SOURCE_DIR } from "./kernel/compile.ts";
export * from "./codec/policy.ts";
export { PolicyMapWriter, type PolicyMapError } from "./maps/policy-map.ts";
