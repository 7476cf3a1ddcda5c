/**
 * membrane's DNS proxy: Cilium's DNS proxy semantics (`policy-semantics.md` §8.4, §8.5) and the
 * DNS message codec it stands on. This file is the folder's public surface.
 */
export type { DnsHeader, DnsQuestion, DnsRecord, DnsMessage, RecordData, WireError } from "./wire-types.ts";
export { RR_TYPE, RCODE, OPCODE, CLASS_IN, typeName } from "./wire-types.ts";
export { decodeMessage, encodeMessage } from "./wire.ts";
export { encodeName, readName } from "./wire-name.ts";
export type { NameDecision } from "./dns-policy.ts";
export { decideName } from "./dns-policy.ts";
export type { AnswerDetails } from "./replies.ts";
export { answerDetails, localReply } from "./replies.ts";
export type { DnsPolicyContext, DnsPolicySource, DnsPeer, DnsRoute, DnsRouteResolver, HostPort } from "./context.ts";
export { staticPolicy } from "./context.ts";
export type { DnsFlowRecord, DnsFlowInfo, DnsFlowVerdict, DnsFlowListener, LearnedAnswer, AnswerListener } from "./flow-record.ts";
export type { DnsProxyLimits } from "./limits.ts";
export { DEFAULT_DNS_PROXY_LIMITS } from "./limits.ts";
export type { RejectCode } from "./query-handler.ts";
export type { DnsProxyOptions, DnsSockets } from "./dns-proxy.ts";
export { DnsProxy } from "./dns-proxy.ts";
export type { StandaloneDnsProxyOptions, DnsProxyHandle } from "./standalone.ts";
export { startDnsProxy } from "./standalone.ts";
export { FrameReader as DnsFrameReader, frame as dnsFrame } from "./tcp-framing.ts";
