import { err, ok, type Result } from "@membrane/engine";
import { API_KEY, specFor, type ApiSpec } from "./messages.ts";
import { decodeStruct, encodeStruct, structsOf, stringOf, numberOf, valuesOf, type KafkaStruct } from "./schema.ts";
import { WireReader, WireWriter, type WireError } from "./wire.ts";

/**
 * Kafka requests (https://kafka.apache.org/protocol#protocol_messages): a request is an int32 size,
 * then a header — api_key int16, api_version int16, correlation_id int32, client_id (a nullable
 * string with an int16 length, even in flexible versions), and in header v2 (flexible versions) a
 * tagged-field section — then the body. Functions here take the message after the size prefix.
 */

/** The header of a request. */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** `null` when the client sent a null client id (or header v0, which has none). */
  readonly clientId: string | null;
}

/**
 * What the topic list of a request means:
 * - `listed`: the request names exactly `topics` (possibly none);
 * - `all`: the request is about every topic (Metadata and OffsetFetch with a null list);
 * - `unparsed`: the proxy does not know the request's topics (an API or version it does not
 *   read, or topics given by id only).
 */
export type TopicScope = "listed" | "all" | "unparsed";

/** A request as the proxy understands it. */
export interface DecodedRequest {
  readonly header: RequestHeader;
  /** The body, when the proxy reads this API at this version; `null` otherwise. */
  readonly body: KafkaStruct | null;
  /** The distinct topic names the request names, in order. */
  readonly topics: readonly string[];
  readonly topicScope: TopicScope;
  /** False only for Produce with acks = 0, to which brokers send no response. */
  readonly expectsResponse: boolean;
}

/** The smallest header: api key, version and correlation id (header v0). */
export const MIN_REQUEST_BYTES = 8;

/** Whether `apiKey` at `version` uses request header v0 (no client id): ControlledShutdown v0 only. */
function headerV0(apiKey: number, version: number): boolean {
  return apiKey === API_KEY.ControlledShutdown && version === 0;
}

/** Reads a request header; for APIs and versions the proxy reads, the header's tagged fields too. */
export function decodeRequestHeader(message: Uint8Array): Result<{ header: RequestHeader; bodyOffset: number }, WireError> {
  const r = new WireReader(message);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  if (r.error !== null) return err(r.error);
  if (apiKey < 0) return err({ offset: 0, message: `api key ${apiKey} is negative` });
  if (apiVersion < 0) return err({ offset: 2, message: `api version ${apiVersion} is negative` });
  const clientId = headerV0(apiKey, apiVersion) ? null : r.string(false, true);
  const spec = specFor(apiKey, apiVersion);
  if (spec !== null && apiVersion >= spec.flexibleFrom) r.skipTaggedFields();
  if (r.error !== null) return err(r.error);
  return ok({ header: { apiKey, apiVersion, correlationId, clientId }, bodyOffset: r.offset });
}

/**
 * Reads a request. The body of an API and version in `messages.ts` must parse exactly (no bytes
 * left over); any other request is read as its header alone. Never throws.
 */
export function decodeRequest(message: Uint8Array): Result<DecodedRequest, WireError> {
  const head = decodeRequestHeader(message);
  if (!head.ok) return head;
  const { header, bodyOffset } = head.value;
  const spec = specFor(header.apiKey, header.apiVersion);
  if (spec === null) {
    return ok({
      header,
      body: null,
      topics: [],
      topicScope: "unparsed",
      expectsResponse: unparsedExpectsResponse(header, message, bodyOffset),
    });
  }
  const r = new WireReader(message, bodyOffset);
  const body = decodeStruct(r, spec.request, { version: header.apiVersion, flexible: header.apiVersion >= spec.flexibleFrom });
  if (r.error !== null) return err(r.error);
  if (r.remaining !== 0)
    return err({ offset: r.offset, message: `${r.remaining} bytes follow the ${spec.name} v${header.apiVersion} body` });
  const { topics, scope } = topicsOf(header.apiKey, header.apiVersion, body);
  const expectsResponse = !(header.apiKey === API_KEY.Produce && numberOf(body, "Acks", -1) === 0);
  return ok({ header, body, topics: [...new Set(topics)], topicScope: scope, expectsResponse });
}

/**
 * Produce versions newer than those read here still start with a transactional id and acks
 * (flexible from v9): read acks so an acks = 0 request is not waited for. Anything unreadable is
 * assumed to expect a response.
 */
function unparsedExpectsResponse(header: RequestHeader, message: Uint8Array, bodyOffset: number): boolean {
  if (header.apiKey !== API_KEY.Produce || header.apiVersion < 9) return true;
  const r = new WireReader(message, bodyOffset);
  r.skipTaggedFields();
  r.string(true, true);
  const acks = r.int16();
  return r.error !== null || acks !== 0;
}

function names(items: readonly KafkaStruct[] | null, field: string): { names: string[]; complete: boolean } {
  const out: string[] = [];
  let complete = true;
  for (const item of items ?? []) {
    const n = stringOf(item, field);
    if (n === null) complete = false;
    else out.push(n);
  }
  return { names: out, complete };
}

function listed(found: { names: string[]; complete: boolean }): { topics: string[]; scope: TopicScope } {
  return { topics: found.names, scope: found.complete ? "listed" : "unparsed" };
}

/** The topics a decoded request names (policy-semantics.md §8.2: every one must be allowed). */
function topicsOf(apiKey: number, version: number, body: KafkaStruct): { topics: string[]; scope: TopicScope } {
  switch (apiKey) {
    case API_KEY.Produce:
      return listed(names(structsOf(body, "TopicData"), "Name"));
    case API_KEY.Fetch:
      // v13+ names topics by id only. Forgotten topics (fetch sessions) only leave a session.
      return version >= 13 ? { topics: [], scope: "unparsed" } : listed(names(structsOf(body, "Topics"), "Topic"));
    case API_KEY.ListOffsets:
    case API_KEY.OffsetCommit:
    case API_KEY.CreateTopics:
      return listed(names(structsOf(body, "Topics"), "Name"));
    case API_KEY.Metadata: {
      const topics = structsOf(body, "Topics");
      if (topics === null || (version === 0 && topics.length === 0)) return { topics: [], scope: "all" };
      return listed(names(topics, "Name"));
    }
    case API_KEY.OffsetFetch: {
      const lists = version >= 8 ? (structsOf(body, "Groups") ?? []).map((g) => structsOf(g, "Topics")) : [structsOf(body, "Topics")];
      if (lists.some((l) => l === null)) return { topics: [], scope: "all" };
      return listed(
        names(
          lists.flatMap((l) => l ?? []),
          "Name",
        ),
      );
    }
    case API_KEY.DeleteTopics:
      if (version >= 6) return listed(names(structsOf(body, "Topics"), "Name"));
      return { topics: (valuesOf(body, "TopicNames") ?? []).filter((t): t is string => typeof t === "string"), scope: "listed" };
    default:
      return { topics: [], scope: "listed" };
  }
}

/**
 * Writes a request with its size prefix. `body` is required for APIs and versions described in
 * `messages.ts` and must be `raw` bytes otherwise. Invalid values are a caller bug (throws).
 */
export function encodeRequest(header: RequestHeader, body: KafkaStruct | { readonly raw: Uint8Array }): Uint8Array {
  const w = new WireWriter();
  w.int32(0).int16(header.apiKey).int16(header.apiVersion).int32(header.correlationId);
  if (!headerV0(header.apiKey, header.apiVersion)) w.string(header.clientId, false);
  const spec: ApiSpec | null = specFor(header.apiKey, header.apiVersion);
  const flexible = spec !== null && header.apiVersion >= spec.flexibleFrom;
  if (flexible) w.noTaggedFields();
  if (body.raw instanceof Uint8Array) w.raw(body.raw);
  else if (spec !== null) encodeStruct(w, spec.request, { version: header.apiVersion, flexible }, body as KafkaStruct);
  else throw new TypeError(`no layout for api key ${header.apiKey} v${header.apiVersion}: give raw body bytes`);
  return withSize(w.finish());
}

/** Fills in the size prefix of a message written after 4 placeholder bytes. */
export function withSize(bytes: Uint8Array): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setInt32(0, bytes.length - 4);
  return bytes;
}
