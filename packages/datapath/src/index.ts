/** @membrane/datapath: membrane's eBPF datapath (Linux, root). */
export * from "./kernel/bpf.ts";
export * from "./kernel/compile.ts";
export * from "./codec/policy.ts";
export * from "./codec/ipcache.ts";
export * from "./codec/endpoint.ts";
export * from "./codec/conntrack.ts";
export * from "./codec/event.ts";
export * from "./codec/counters.ts";
export * from "./maps/policy-map.ts";
export * from "./maps/ipcache-map.ts";
export * from "./maps/endpoint-map.ts";
export * from "./loader/load.ts";
export * from "./maps/conntrack-gc.ts";
export * from "./maps/conntrack-lookup.ts";
export * from "./maps/proxy-origins.ts";
export type { ProxyOrigin } from "./codec/proxy-origin.ts";
export * from "./maps/counters.ts";
export * from "./kernel/sockets.ts";
