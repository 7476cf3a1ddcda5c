/**
 * @membrane/proxy: membrane's L7 proxies (Node only). This file is the package's only public
 * surface: the HTTP/1.1 + h2c proxy, the Kafka proxy, the DNS proxy and the TLS SNI proxy.
 */
export type {
  ConnectionContext,
  Upstream,
  ConnectionRoute,
  RouteResolver,
  L7PolicySource,
  RequestVerdict,
  ProxyLimits,
  L7FlowRecord,
  FlowListener,
  HttpProtocol,
  RecordedHeader,
  HttpRequestInfo,
  HttpResponseInfo,
  HttpProxyOptions,
} from "./http/index.ts";
export type { Dialer, UdpDialer, Upstream as ProxyUpstream } from "./common/dial.ts";
export { failedSocket } from "./common/dial.ts";
export { listenServer, type ListenTarget } from "./common/proxy-listener.ts";
export { PROXY_NODE_FLAGS } from "./node-flags.ts";
export { parseHostPort, StaticPolicySource, RequestDecider, DEFAULT_PROXY_LIMITS, ACCESS_DENIED_BODY, HttpProxy } from "./http/index.ts";
export * from "./dns/index.ts";
export * from "./kafka/index.ts";
export * from "./tls/index.ts";
