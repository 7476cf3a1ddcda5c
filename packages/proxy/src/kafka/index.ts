/**
 * membrane's Kafka proxy: Cilium's Kafka L7 semantics (`policy-semantics.md` §8.2) and the Kafka
 * request codec it stands on. This file is the folder's public surface; names are prefixed with
 * Kafka because the package re-exports them beside the HTTP and DNS proxies.
 */
export type { WireError as KafkaWireError } from "./wire.ts";
export type { KafkaValue, KafkaStruct, VersionRange as KafkaVersionRange } from "./schema.ts";
export type { ApiSpec as KafkaApiSpec } from "./messages.ts";
export { API_SPECS as KAFKA_API_SPECS, API_KEY as KAFKA_API, specFor as kafkaApiSpec } from "./messages.ts";
export { KAFKA_ERROR, apiKeyName as kafkaApiKeyName } from "./api-names.ts";
export type {
  RequestHeader as KafkaRequestHeader,
  TopicScope as KafkaTopicScope,
  DecodedRequest as DecodedKafkaRequest,
} from "./request.ts";
export {
  decodeRequestHeader as decodeKafkaRequestHeader,
  decodeRequest as decodeKafkaRequest,
  encodeRequest as encodeKafkaRequest,
} from "./request.ts";
export {
  responseHeaderFlexible as kafkaResponseHeaderFlexible,
  encodeResponse as encodeKafkaResponse,
  decodeResponse as decodeKafkaResponse,
  deniedResponse as kafkaDeniedResponse,
} from "./response.ts";
export type { RequestFrame as KafkaRequestFrame, ResponsePiece as KafkaResponsePiece } from "./framing.ts";
export { RequestFrameReader as KafkaRequestFrameReader, ResponseSplitter as KafkaResponseSplitter } from "./framing.ts";
export type { KafkaVerdict } from "./decide.ts";
export { decideKafka } from "./decide.ts";
export type { KafkaProxyLimits } from "./limits.ts";
export { DEFAULT_KAFKA_PROXY_LIMITS } from "./limits.ts";
export type { KafkaFlowInfo, KafkaFlowRecord, KafkaFlowListener } from "./flow-record.ts";
export type { KafkaProxyOptions } from "./proxy-server.ts";
export { KafkaProxy } from "./proxy-server.ts";
export { sampleRequest as kafkaSampleRequest, SAMPLE_VERSIONS as KAFKA_SAMPLE_VERSIONS } from "./sample-requests.ts";
