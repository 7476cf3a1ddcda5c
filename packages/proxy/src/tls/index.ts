/**
 * membrane's TLS SNI proxy: Cilium's `serverNames` (`policy-semantics.md` §8.6) enforced on the
 * ClientHello of a passed-through TLS connection. The folder's public surface: the proxy, its
 * records, and the throwaway certificate the tests and the lab's pods serve TLS with.
 */
export type { TlsProxyLimits } from "./limits.ts";
export type { TlsFlowRecord, TlsFlowListener } from "./flow-record.ts";
export type { TlsProxyOptions } from "./proxy-server.ts";
export { TlsProxy } from "./proxy-server.ts";
export { selfSignedCertificate } from "./self-signed.ts";
