import { err, ok, type Result } from "@membrane/engine";
import { KAFKA_ERROR } from "./api-names.ts";
import { API_KEY, specFor } from "./messages.ts";
import type { DecodedRequest } from "./request.ts";
import { withSize } from "./request.ts";
import {
  bytesOf,
  decodeStruct,
  encodeStruct,
  numberOf,
  stringOf,
  structsOf,
  valuesOf,
  type KafkaStruct,
  type KafkaValue,
} from "./schema.ts";
import { WireReader, WireWriter, type WireError } from "./wire.ts";

/**
 * Kafka responses: an int32 size, the correlation id of the request, in response header v1
 * (flexible versions, except ApiVersions, whose response header is always v0) a tagged-field
 * section, then the body. Brokers answer the requests of one connection in order.
 */

/** Whether a response to `apiKey` at `version` has header v1. */
export function responseHeaderFlexible(apiKey: number, version: number): boolean {
  const spec = specFor(apiKey, version);
  return spec !== null && version >= spec.flexibleFrom && apiKey !== API_KEY.ApiVersions;
}

/** Writes a response with its size prefix. Invalid values are a caller bug (throws); `null` for an API or version not described. */
export function encodeResponse(apiKey: number, version: number, correlationId: number, body: KafkaStruct): Uint8Array | null {
  const spec = specFor(apiKey, version);
  if (spec === null) return null;
  const w = new WireWriter().int32(0).int32(correlationId);
  if (responseHeaderFlexible(apiKey, version)) w.noTaggedFields();
  encodeStruct(w, spec.response, { version, flexible: version >= spec.flexibleFrom }, body);
  return withSize(w.finish());
}

/** Reads a response (after its size prefix) to a request of `apiKey` at `version`. Never throws. */
export function decodeResponse(
  message: Uint8Array,
  apiKey: number,
  version: number,
): Result<{ correlationId: number; body: KafkaStruct }, WireError> {
  const spec = specFor(apiKey, version);
  if (spec === null) return err({ offset: 0, message: `no layout for api key ${apiKey} v${version}` });
  const r = new WireReader(message);
  const correlationId = r.int32();
  if (responseHeaderFlexible(apiKey, version)) r.skipTaggedFields();
  const body = decodeStruct(r, spec.response, { version, flexible: version >= spec.flexibleFrom });
  if (r.error !== null) return err(r.error);
  if (r.remaining !== 0) return err({ offset: r.offset, message: `${r.remaining} bytes follow the ${spec.name} v${version} response` });
  return ok({ correlationId, body });
}

const partitionsOf = (topic: KafkaStruct, arrayField: string, indexField: string): number[] =>
  (structsOf(topic, arrayField) ?? []).map((p) => numberOf(p, indexField));

const indexesOf = (topic: KafkaStruct, field: string): number[] =>
  (valuesOf(topic, field) ?? []).filter((p): p is number => typeof p === "number");

/**
 * The response a broker that refuses the request would give: `errorCode` (by default 29,
 * TOPIC_AUTHORIZATION_FAILED, as Cilium's Kafka proxy answers) on every topic-partition the
 * request names, and in the top-level error field of responses that have one. `null` when the
 * proxy cannot write one (an API or version it does not read): the caller must then close the
 * connection. Callers must not ask for Produce with acks = 0 (`expectsResponse` false): no
 * response exists for it.
 */
export function deniedResponse(request: DecodedRequest, errorCode: number = KAFKA_ERROR.TOPIC_AUTHORIZATION_FAILED): Uint8Array | null {
  const { apiKey, apiVersion: version, correlationId } = request.header;
  const body = request.body;
  if (body === null) return null;
  const build = DENIALS.get(apiKey);
  if (build === undefined) return null;
  return encodeResponse(apiKey, version, correlationId, build(body, errorCode, version));
}

type Denial = (req: KafkaStruct, code: number, version: number) => KafkaStruct;

const DENIALS: ReadonlyMap<number, Denial> = new Map<number, Denial>([
  [
    API_KEY.Produce,
    (req, code) => ({
      Responses: (structsOf(req, "TopicData") ?? []).map((t) => ({
        Name: stringOf(t, "Name") ?? "",
        PartitionResponses: partitionsOf(t, "PartitionData", "Index").map((i) => ({ Index: i, ErrorCode: code, BaseOffset: -1n })),
      })),
    }),
  ],
  [
    API_KEY.Fetch,
    (req, code) => ({
      ErrorCode: KAFKA_ERROR.NONE,
      SessionId: 0,
      Responses: (structsOf(req, "Topics") ?? []).map((t) => ({
        Topic: stringOf(t, "Topic") ?? "",
        TopicId: topicIdOf(t),
        Partitions: partitionsOf(t, "Partitions", "Partition").map((i) => ({
          PartitionIndex: i,
          ErrorCode: code,
          HighWatermark: -1n,
          AbortedTransactions: null,
          Records: new Uint8Array(0),
        })),
      })),
    }),
  ],
  [
    API_KEY.ListOffsets,
    (req, code) => ({
      Topics: (structsOf(req, "Topics") ?? []).map((t) => ({
        Name: stringOf(t, "Name") ?? "",
        Partitions: partitionsOf(t, "Partitions", "PartitionIndex").map((i) => ({ PartitionIndex: i, ErrorCode: code })),
      })),
    }),
  ],
  [
    API_KEY.Metadata,
    (req, code, version) => ({
      Brokers: [],
      ClusterId: null,
      ControllerId: -1,
      Topics: (structsOf(req, "Topics") ?? []).map((t) => ({
        ErrorCode: code,
        Name: stringOf(t, "Name") ?? (version >= 12 ? null : ""),
        TopicId: topicIdOf(t),
        IsInternal: false,
        Partitions: [],
      })),
    }),
  ],
  [
    API_KEY.OffsetCommit,
    (req, code) => ({
      Topics: (structsOf(req, "Topics") ?? []).map((t) => ({
        Name: stringOf(t, "Name") ?? "",
        Partitions: partitionsOf(t, "Partitions", "PartitionIndex").map((i) => ({ PartitionIndex: i, ErrorCode: code })),
      })),
    }),
  ],
  [
    API_KEY.OffsetFetch,
    (req, code, version) => {
      const topicsOf = (topics: readonly KafkaStruct[] | null): KafkaStruct[] =>
        (topics ?? []).map((t) => ({
          Name: stringOf(t, "Name") ?? "",
          Partitions: indexesOf(t, "PartitionIndexes").map((i) => ({
            PartitionIndex: i,
            CommittedOffset: -1n,
            Metadata: "",
            ErrorCode: code,
          })),
        }));
      // A request for every topic of a group fails as a whole.
      const groupError = (topics: readonly KafkaStruct[] | null): number => (topics === null ? code : KAFKA_ERROR.NONE);
      if (version >= 8) {
        return {
          Groups: (structsOf(req, "Groups") ?? []).map((g) => ({
            GroupId: stringOf(g, "GroupId") ?? "",
            Topics: topicsOf(structsOf(g, "Topics")),
            ErrorCode: groupError(structsOf(g, "Topics")),
          })),
        };
      }
      const topics = structsOf(req, "Topics");
      return { Topics: topicsOf(topics), ErrorCode: groupError(topics) };
    },
  ],
  [
    API_KEY.FindCoordinator,
    (req, code) => ({
      ErrorCode: code,
      NodeId: -1,
      Host: "",
      Port: -1,
      Coordinators: (valuesOf(req, "CoordinatorKeys") ?? []).map((k) => ({
        Key: typeof k === "string" ? k : "",
        NodeId: -1,
        Host: "",
        Port: -1,
        ErrorCode: code,
      })),
    }),
  ],
  [
    API_KEY.JoinGroup,
    (req, code, version) => ({
      ErrorCode: code,
      GenerationId: -1,
      ProtocolName: version >= 7 ? null : "",
      Leader: "",
      MemberId: stringOf(req, "MemberId") ?? "",
      Members: [],
    }),
  ],
  [API_KEY.Heartbeat, (_req, code) => ({ ErrorCode: code })],
  [API_KEY.LeaveGroup, (_req, code) => ({ ErrorCode: code, Members: [] })],
  [API_KEY.SyncGroup, (_req, code) => ({ ErrorCode: code, Assignment: new Uint8Array(0) })],
  [API_KEY.ApiVersions, (_req, code) => ({ ErrorCode: code, ApiKeys: [] })],
  [
    API_KEY.CreateTopics,
    (req, code) => ({
      Topics: (structsOf(req, "Topics") ?? []).map((t) => ({ Name: stringOf(t, "Name") ?? "", ErrorCode: code, Configs: null })),
    }),
  ],
  [
    API_KEY.DeleteTopics,
    (req, code, version) => ({
      Responses:
        version >= 6
          ? (structsOf(req, "Topics") ?? []).map((t) => ({ Name: stringOf(t, "Name"), TopicId: topicIdOf(t), ErrorCode: code }))
          : (valuesOf(req, "TopicNames") ?? []).map((n) => ({ Name: typeof n === "string" ? n : "", ErrorCode: code })),
    }),
  ],
]);

function topicIdOf(t: KafkaStruct): KafkaValue {
  return bytesOf(t, "TopicId") ?? new Uint8Array(16);
}
