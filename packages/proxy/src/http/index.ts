/** The HTTP/1.1 and h2c (gRPC) L7 proxy. */
export type { ConnectionContext, Upstream, ConnectionRoute, RouteResolver } from "./connection.ts";
export { parseHostPort } from "../common/host-port.ts";
export type { L7PolicySource } from "./policy-source.ts";
export { StaticPolicySource } from "./policy-source.ts";
export type { RequestVerdict } from "./decide.ts";
export { RequestDecider } from "./decide.ts";
export type { ProxyLimits } from "./limits.ts";
export { DEFAULT_PROXY_LIMITS } from "./limits.ts";
export type { L7FlowRecord, FlowListener, HttpProtocol, RecordedHeader, HttpRequestInfo, HttpResponseInfo } from "./flow-record.ts";
export { ACCESS_DENIED_BODY } from "./local-reply.ts";
export type { HttpProxyOptions } from "./proxy-server.ts";
export { HttpProxy } from "./proxy-server.ts";
