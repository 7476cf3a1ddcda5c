import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { API_KEY } from "./messages.ts";
import { decodeRequest } from "./request.ts";
import { deniedResponse, encodeResponse } from "./response.ts";
import type { KafkaStruct } from "./schema.ts";

/*
 * The codec against kafkajs 2.2.4's own protocol code, at every version kafkajs implements for the
 * APIs the proxy reads: kafkajs's request encoders write what the proxy must read (exactly, with
 * the right topics), and kafkajs's response decoders read what the proxy writes — its denials
 * (which kafkajs must report as TOPIC_AUTHORIZATION_FAILED) and the test broker's answers.
 */

const require = createRequire(import.meta.url);

interface KjsRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
}
interface KjsResponse {
  decode(payload: Buffer): Promise<unknown>;
  parse(decoded: unknown): Promise<unknown>;
}
interface KjsDefinition {
  readonly versions: readonly string[];
  protocol(o: { version: number }): (args: object) => { request: KjsRequest; response: KjsResponse };
}

const kjsRequests = require("kafkajs/src/protocol/requests") as { requests: Record<string, KjsDefinition> };
const kjsEncode = require("kafkajs/src/protocol/request") as (o: {
  correlationId: number;
  clientId: string;
  request: KjsRequest;
}) => Promise<{ buffer: Buffer }>;

const message = { key: "k", value: "v", timestamp: "1700000000000" };

/** kafkajs's name of each API, the arguments of one request, and the topics the proxy must find in it. */
const CASES: readonly { apiKey: number; kjs: string; args: object; topics: readonly string[] }[] = [
  {
    apiKey: API_KEY.Produce,
    kjs: "Produce",
    args: {
      acks: -1,
      timeout: 1000,
      compression: 0,
      topicData: [
        { topic: "payments", partitions: [{ partition: 0, messages: [message] }] },
        { topic: "orders", partitions: [{ partition: 1, messages: [message, message] }] },
      ],
    },
    topics: ["payments", "orders"],
  },
  {
    apiKey: API_KEY.Fetch,
    kjs: "Fetch",
    args: {
      replicaId: -1,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: 1 << 20,
      topics: [{ topic: "payments", partitions: [{ partition: 0, fetchOffset: "5", maxBytes: 1024 }] }],
      rackId: "r",
    },
    topics: ["payments"],
  },
  {
    apiKey: API_KEY.ListOffsets,
    kjs: "ListOffsets",
    args: { replicaId: -1, topics: [{ topic: "payments", partitions: [{ partition: 0, timestamp: -2 }] }] },
    topics: ["payments"],
  },
  {
    apiKey: API_KEY.Metadata,
    kjs: "Metadata",
    args: { topics: ["payments", "orders"], allowAutoTopicCreation: true },
    topics: ["payments", "orders"],
  },
  {
    apiKey: API_KEY.OffsetCommit,
    kjs: "OffsetCommit",
    args: {
      groupId: "g",
      groupGenerationId: 1,
      memberId: "m",
      retentionTime: -1,
      topics: [{ topic: "payments", partitions: [{ partition: 0, offset: "3" }] }],
    },
    topics: ["payments"],
  },
  {
    apiKey: API_KEY.OffsetFetch,
    kjs: "OffsetFetch",
    args: { groupId: "g", topics: [{ topic: "payments", partitions: [{ partition: 0 }] }] },
    topics: ["payments"],
  },
  { apiKey: API_KEY.FindCoordinator, kjs: "GroupCoordinator", args: { groupId: "g", coordinatorType: 0 }, topics: [] },
  {
    apiKey: API_KEY.JoinGroup,
    kjs: "JoinGroup",
    args: {
      groupId: "g",
      sessionTimeout: 30000,
      rebalanceTimeout: 60000,
      memberId: "",
      protocolType: "consumer",
      groupProtocols: [{ name: "RoundRobinAssigner", metadata: Buffer.from([0, 1]) }],
    },
    topics: [],
  },
  { apiKey: API_KEY.Heartbeat, kjs: "Heartbeat", args: { groupId: "g", groupGenerationId: 1, memberId: "m" }, topics: [] },
  { apiKey: API_KEY.LeaveGroup, kjs: "LeaveGroup", args: { groupId: "g", memberId: "m" }, topics: [] },
  {
    apiKey: API_KEY.SyncGroup,
    kjs: "SyncGroup",
    args: { groupId: "g", generationId: 1, memberId: "m", groupAssignment: [{ memberId: "m", memberAssignment: Buffer.from([1, 2]) }] },
    topics: [],
  },
  { apiKey: API_KEY.ApiVersions, kjs: "ApiVersions", args: {}, topics: [] },
  {
    apiKey: API_KEY.CreateTopics,
    kjs: "CreateTopics",
    args: {
      topics: [{ topic: "payments", numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "k", value: "v" }] }],
      timeout: 1000,
    },
    topics: ["payments"],
  },
  {
    apiKey: API_KEY.DeleteTopics,
    kjs: "DeleteTopics",
    args: { topics: ["payments", "orders"], timeout: 1000 },
    topics: ["payments", "orders"],
  },
];

/** kafkajs's reading of a response (after size and correlation id), as its connection does it. */
async function kjsRead(response: KjsResponse, framed: Uint8Array): Promise<{ decoded: unknown; parsed: Promise<unknown> }> {
  const payload = Buffer.from(framed.subarray(8));
  const decoded = await response.decode(payload);
  return { decoded, parsed: response.parse(decoded) };
}

/** Every version kafkajs implements of each API, with its request and response code. */
function* kjsVersions(): Generator<{ c: (typeof CASES)[number]; version: number; request: KjsRequest; response: KjsResponse }> {
  for (const c of CASES) {
    const def = kjsRequests.requests[c.kjs]!;
    for (const v of def.versions.map(Number)) {
      const { request, response } = def.protocol({ version: v })(c.args);
      yield { c, version: v, request, response };
    }
  }
}

test("kafkajs's requests, every version it implements, are read exactly and their topics found", async () => {
  const seen: string[] = [];
  for (const { c, version, request } of kjsVersions()) {
    assert.equal(request.apiKey, c.apiKey);
    assert.equal(request.apiVersion, version);
    const { buffer } = await kjsEncode({ correlationId: 77, clientId: "kafkajs-client", request });
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getInt32(0), bytes.length - 4);
    const d = decodeRequest(bytes.subarray(4));
    assert.ok(d.ok, `${c.kjs} v${version}: ${d.ok ? "" : JSON.stringify(d.error)}`);
    assert.notEqual(d.value.body, null, `${c.kjs} v${version} is read`);
    assert.deepEqual(
      [d.value.header.correlationId, d.value.header.clientId, d.value.topics, d.value.topicScope],
      [77, "kafkajs-client", c.topics, "listed"],
      `${c.kjs} v${version}`,
    );
    seen.push(`${c.kjs}:${version}`);
  }
  // Produce 0–7, Fetch 0–11, ListOffsets 0–3, Metadata 0–6, OffsetCommit 0–5, OffsetFetch 1–4, FindCoordinator 0–2,
  // JoinGroup 0–5, Heartbeat/LeaveGroup/SyncGroup 0–3, ApiVersions 0–2, CreateTopics 0–3, DeleteTopics 0–1.
  assert.equal(seen.length, 8 + 12 + 4 + 7 + 6 + 4 + 3 + 6 + 4 + 4 + 4 + 3 + 4 + 2);
});

test("kafkajs reads every denial the proxy writes, at every version, as TOPIC_AUTHORIZATION_FAILED", async () => {
  for (const { c, version, request } of kjsVersions()) {
    const { buffer } = await kjsEncode({ correlationId: 78, clientId: "kafkajs-client", request });
    const d = decodeRequest(new Uint8Array(buffer.buffer, buffer.byteOffset + 4, buffer.length - 4));
    assert.ok(d.ok);
    const denied = deniedResponse(d.value);
    assert.ok(denied !== null, `${c.kjs} v${version}`);
    assert.equal(new DataView(denied.buffer, denied.byteOffset).getInt32(4), 78, "the correlation id of the request");
    const { response } = kjsRequests.requests[c.kjs]!.protocol({ version })(c.args);
    const { parsed } = await kjsRead(response, denied);
    // CreateTopics gathers its topics' errors into one KafkaJSAggregateError.
    const authFailed = (e: { type?: string; errors?: { type?: string }[] }): boolean =>
      e.type === "TOPIC_AUTHORIZATION_FAILED" || (e.errors !== undefined && e.errors.length > 0 && e.errors.every(authFailed));
    await assert.rejects(parsed, authFailed, `${c.kjs} v${version}`);
  }
});

/** A successful answer per API, as the test broker writes them. */
function answer(apiKey: number, version: number): KafkaStruct {
  switch (apiKey) {
    case API_KEY.Produce:
      return { Responses: [{ Name: "payments", PartitionResponses: [{ Index: 0, ErrorCode: 0, BaseOffset: 12n, LogStartOffset: 0n }] }] };
    case API_KEY.Fetch:
      return {
        Responses: [
          {
            Topic: "payments",
            Partitions: [{ PartitionIndex: 0, ErrorCode: 0, HighWatermark: 9n, AbortedTransactions: [], Records: new Uint8Array(0) }],
          },
        ],
      };
    case API_KEY.ListOffsets:
      return { Topics: [{ Name: "payments", Partitions: [{ PartitionIndex: 0, ErrorCode: 0, OldStyleOffsets: [4n], Offset: 4n }] }] };
    case API_KEY.Metadata:
      return {
        Brokers: [{ NodeId: 3, Host: "h", Port: 9092, Rack: null }],
        ClusterId: "c",
        ControllerId: 3,
        Topics: [
          {
            ErrorCode: 0,
            Name: "payments",
            Partitions: [{ ErrorCode: 0, PartitionIndex: 0, LeaderId: 3, ReplicaNodes: [3], IsrNodes: [3], OfflineReplicas: [] }],
          },
        ],
      };
    case API_KEY.OffsetCommit:
      return { Topics: [{ Name: "payments", Partitions: [{ PartitionIndex: 0, ErrorCode: 0 }] }] };
    case API_KEY.OffsetFetch:
      return { Topics: [{ Name: "payments", Partitions: [{ PartitionIndex: 0, CommittedOffset: 6n, Metadata: "", ErrorCode: 0 }] }] };
    case API_KEY.FindCoordinator:
      return { ErrorCode: 0, ErrorMessage: null, NodeId: 3, Host: "h", Port: 9092 };
    case API_KEY.JoinGroup:
      return {
        GenerationId: 2,
        ProtocolName: "RoundRobinAssigner",
        Leader: "m",
        MemberId: "m",
        Members: [{ MemberId: "m", Metadata: Uint8Array.of(7) }],
      };
    case API_KEY.SyncGroup:
      return { Assignment: Uint8Array.of(1, 2) };
    case API_KEY.ApiVersions:
      return { ApiKeys: [{ ApiKey: 0, MinVersion: 0, MaxVersion: version + 5 }] };
    case API_KEY.CreateTopics:
      return { Topics: [{ Name: "payments", ErrorCode: 0, ErrorMessage: null }] };
    case API_KEY.DeleteTopics:
      return { Responses: [{ Name: "payments", ErrorCode: 0 }] };
    default:
      return { ErrorCode: 0 };
  }
}

test("kafkajs reads the test broker's answers, at every version", async () => {
  for (const { c, version, response } of kjsVersions()) {
    const bytes = encodeResponse(c.apiKey, version, 5, answer(c.apiKey, version));
    assert.ok(bytes !== null);
    const { decoded, parsed } = await kjsRead(response, bytes);
    const value = (await parsed) as Record<string, unknown>;
    const text = JSON.stringify(decoded, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    const where = `${c.kjs} v${version}: ${text}`;
    switch (c.apiKey) {
      case API_KEY.Produce:
        assert.match(text, /"topicName":"payments".*"(baseOffset|offset)":"12"/, where);
        break;
      case API_KEY.Fetch:
        assert.match(text, /"topicName":"payments".*"highWatermark":"9"/, where);
        break;
      case API_KEY.ListOffsets:
        assert.match(text, /"topic":"payments".*"offsets?":(\["4"\]|"4")/, where);
        break;
      case API_KEY.Metadata:
        assert.match(text, /"nodeId":3,"host":"h","port":9092/, where);
        assert.match(text, /"topic":"payments".*"leader":3/, where);
        break;
      case API_KEY.OffsetFetch:
        assert.match(text, /"offset":"6"/, where);
        break;
      case API_KEY.FindCoordinator:
        assert.match(text, /"coordinator":\{"nodeId":3,"host":"h","port":9092\}/, where);
        break;
      case API_KEY.JoinGroup:
        assert.equal(value["generationId"], 2, where);
        assert.equal(value["leaderId"], "m", where);
        break;
      case API_KEY.SyncGroup:
        assert.deepEqual([...(value["memberAssignment"] as Buffer)], [1, 2], where);
        break;
      case API_KEY.ApiVersions:
        assert.match(text, /"apiKey":0,"minVersion":0,"maxVersion":\d/, where);
        break;
      case API_KEY.CreateTopics:
      case API_KEY.DeleteTopics:
      case API_KEY.OffsetCommit:
        assert.match(text, /payments/, where);
        break;
      default:
        assert.match(text, /"errorCode":0/, where);
    }
  }
});
