/**
 * membrane's TLS SNI proxy: Cilium's `serverNames` (`policy-semantics.md` §8.6) enforced on the
 * ClientHello of a passed-through TLS connection. The folder's public surface; names carry Tls
 * because the package re-exports them beside the HTTP, Kafka and DNS proxies.
 */
export type { ClientHelloScan } from "./client-hello.ts";
export { scanClientHello } from "./client-hello.ts";
export type { SniVerdict } from "./decide.ts";
export { decideSni } from "./decide.ts";
export type { TlsProxyLimits } from "./limits.ts";
export { DEFAULT_TLS_PROXY_LIMITS } from "./limits.ts";
export type { TlsFlowRecord, TlsFlowListener } from "./flow-record.ts";
export type { TlsProxyOptions } from "./proxy-server.ts";
export { TlsProxy } from "./proxy-server.ts";
export type { Certificate } from "./self-signed.ts";
export { selfSignedCertificate } from "./self-signed.ts";
