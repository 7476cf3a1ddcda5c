import { field, structs, versionRange, type FieldSpec, type VersionRange } from "./schema.ts";

/**
 * The request and response bodies the proxy reads and writes, transcribed from Apache Kafka's
 * message definitions (clients/src/main/resources/common/message/*.json). Covered: the request
 * types kafkajs 2.2.4 sends, over every version Kafka defines for them (kafkajs itself sends only
 * non-flexible ones: Produce ≤ 7, Fetch ≤ 11, ListOffsets ≤ 3, Metadata ≤ 6, OffsetCommit ≤ 5,
 * OffsetFetch 1–4, FindCoordinator ≤ 2, JoinGroup ≤ 5, Heartbeat/LeaveGroup/SyncGroup ≤ 3,
 * ApiVersions ≤ 2, CreateTopics ≤ 3, DeleteTopics ≤ 1). Tagged fields are not listed: they are
 * optional, skipped when read and never written.
 */

/** What the proxy knows of one API. */
export interface ApiSpec {
  readonly apiKey: number;
  /** Kafka's name of the API (`Produce`, `Fetch`, …). */
  readonly name: string;
  /** The versions whose bodies are described here. */
  readonly versions: VersionRange;
  /** The first flexible version (request header v2, response header v1, compact encodings). */
  readonly flexibleFrom: number;
  readonly request: readonly FieldSpec[];
  readonly response: readonly FieldSpec[];
}

/** Kafka's "no authorized operations" marker (INT32_MIN). */
const NO_OPERATIONS = -2147483648;

const PRODUCE: ApiSpec = {
  apiKey: 0,
  name: "Produce",
  versions: versionRange("0-11"),
  flexibleFrom: 9,
  request: [
    field("TransactionalId", "string", "3+", { nullable: "3+" }),
    field("Acks", "int16", "0+"),
    field("TimeoutMs", "int32", "0+"),
    structs("TopicData", "0+", [
      field("Name", "string", "0+"),
      structs("PartitionData", "0+", [field("Index", "int32", "0+"), field("Records", "records", "0+", { nullable: "0+" })]),
    ]),
  ],
  response: [
    structs("Responses", "0+", [
      field("Name", "string", "0+"),
      structs("PartitionResponses", "0+", [
        field("Index", "int32", "0+"),
        field("ErrorCode", "int16", "0+"),
        field("BaseOffset", "int64", "0+"),
        field("LogAppendTimeMs", "int64", "2+", { default: -1n }),
        field("LogStartOffset", "int64", "5+", { default: -1n }),
        structs("RecordErrors", "8+", [
          field("BatchIndex", "int32", "8+"),
          field("BatchIndexErrorMessage", "string", "8+", { nullable: "8+" }),
        ]),
        field("ErrorMessage", "string", "8+", { nullable: "8+" }),
      ]),
    ]),
    field("ThrottleTimeMs", "int32", "1+"),
  ],
};

const FETCH: ApiSpec = {
  apiKey: 1,
  name: "Fetch",
  versions: versionRange("0-17"),
  flexibleFrom: 12,
  request: [
    field("ReplicaId", "int32", "0-14", { default: -1 }),
    field("MaxWaitMs", "int32", "0+"),
    field("MinBytes", "int32", "0+"),
    field("MaxBytes", "int32", "3+", { default: 0x7fffffff }),
    field("IsolationLevel", "int8", "4+"),
    field("SessionId", "int32", "7+"),
    field("SessionEpoch", "int32", "7+", { default: -1 }),
    structs("Topics", "0+", [
      field("Topic", "string", "0-12"),
      field("TopicId", "uuid", "13+"),
      structs("Partitions", "0+", [
        field("Partition", "int32", "0+"),
        field("CurrentLeaderEpoch", "int32", "9+", { default: -1 }),
        field("FetchOffset", "int64", "0+"),
        field("LastFetchedEpoch", "int32", "12+", { default: -1 }),
        field("LogStartOffset", "int64", "5+", { default: -1n }),
        field("PartitionMaxBytes", "int32", "0+"),
      ]),
    ]),
    structs("ForgottenTopicsData", "7+", [
      field("Topic", "string", "7-12"),
      field("TopicId", "uuid", "13+"),
      field("Partitions", "[]int32", "7+"),
    ]),
    field("RackId", "string", "11+"),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "1+"),
    field("ErrorCode", "int16", "7+"),
    field("SessionId", "int32", "7+"),
    structs("Responses", "0+", [
      field("Topic", "string", "0-12"),
      field("TopicId", "uuid", "13+"),
      structs("Partitions", "0+", [
        field("PartitionIndex", "int32", "0+"),
        field("ErrorCode", "int16", "0+"),
        field("HighWatermark", "int64", "0+"),
        field("LastStableOffset", "int64", "4+", { default: -1n }),
        field("LogStartOffset", "int64", "5+", { default: -1n }),
        structs("AbortedTransactions", "4+", [field("ProducerId", "int64", "4+"), field("FirstOffset", "int64", "4+")], { nullable: "4+" }),
        field("PreferredReadReplica", "int32", "11+", { default: -1 }),
        field("Records", "records", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
};

const LIST_OFFSETS: ApiSpec = {
  apiKey: 2,
  name: "ListOffsets",
  versions: versionRange("0-10"),
  flexibleFrom: 6,
  request: [
    field("ReplicaId", "int32", "0+"),
    field("IsolationLevel", "int8", "2+"),
    structs("Topics", "0+", [
      field("Name", "string", "0+"),
      structs("Partitions", "0+", [
        field("PartitionIndex", "int32", "0+"),
        field("CurrentLeaderEpoch", "int32", "4+", { default: -1 }),
        field("Timestamp", "int64", "0+"),
        field("MaxNumOffsets", "int32", "0", { default: 1 }),
      ]),
    ]),
    field("TimeoutMs", "int32", "10+"),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "2+"),
    structs("Topics", "0+", [
      field("Name", "string", "0+"),
      structs("Partitions", "0+", [
        field("PartitionIndex", "int32", "0+"),
        field("ErrorCode", "int16", "0+"),
        field("OldStyleOffsets", "[]int64", "0"),
        field("Timestamp", "int64", "1+", { default: -1n }),
        field("Offset", "int64", "1+", { default: -1n }),
        field("LeaderEpoch", "int32", "4+", { default: -1 }),
      ]),
    ]),
  ],
};

const METADATA: ApiSpec = {
  apiKey: 3,
  name: "Metadata",
  versions: versionRange("0-12"),
  flexibleFrom: 9,
  request: [
    // v0: an empty array means every topic; v1+: null means every topic, empty means none.
    structs("Topics", "0+", [field("TopicId", "uuid", "10+"), field("Name", "string", "0+", { nullable: "10+" })], { nullable: "1+" }),
    field("AllowAutoTopicCreation", "bool", "4+", { default: true }),
    field("IncludeClusterAuthorizedOperations", "bool", "8-10"),
    field("IncludeTopicAuthorizedOperations", "bool", "8+"),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "3+"),
    structs("Brokers", "0+", [
      field("NodeId", "int32", "0+"),
      field("Host", "string", "0+"),
      field("Port", "int32", "0+"),
      field("Rack", "string", "1+", { nullable: "1+" }),
    ]),
    field("ClusterId", "string", "2+", { nullable: "2+" }),
    field("ControllerId", "int32", "1+", { default: -1 }),
    structs("Topics", "0+", [
      field("ErrorCode", "int16", "0+"),
      field("Name", "string", "0+", { nullable: "12+" }),
      field("TopicId", "uuid", "10+"),
      field("IsInternal", "bool", "1+"),
      structs("Partitions", "0+", [
        field("ErrorCode", "int16", "0+"),
        field("PartitionIndex", "int32", "0+"),
        field("LeaderId", "int32", "0+"),
        field("LeaderEpoch", "int32", "7+", { default: -1 }),
        field("ReplicaNodes", "[]int32", "0+"),
        field("IsrNodes", "[]int32", "0+"),
        field("OfflineReplicas", "[]int32", "5+"),
      ]),
      field("TopicAuthorizedOperations", "int32", "8+", { default: NO_OPERATIONS }),
    ]),
    field("ClusterAuthorizedOperations", "int32", "8-10", { default: NO_OPERATIONS }),
  ],
};

const OFFSET_COMMIT: ApiSpec = {
  apiKey: 8,
  name: "OffsetCommit",
  versions: versionRange("0-9"),
  flexibleFrom: 8,
  request: [
    field("GroupId", "string", "0+"),
    field("GenerationIdOrMemberEpoch", "int32", "1+", { default: -1 }),
    field("MemberId", "string", "1+"),
    field("GroupInstanceId", "string", "7+", { nullable: "7+" }),
    field("RetentionTimeMs", "int64", "2-4", { default: -1n }),
    structs("Topics", "0+", [
      field("Name", "string", "0+"),
      structs("Partitions", "0+", [
        field("PartitionIndex", "int32", "0+"),
        field("CommittedOffset", "int64", "0+"),
        field("CommittedLeaderEpoch", "int32", "6+", { default: -1 }),
        field("CommitTimestamp", "int64", "1", { default: -1n }),
        field("CommittedMetadata", "string", "0+", { nullable: "0+" }),
      ]),
    ]),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "3+"),
    structs("Topics", "0+", [
      field("Name", "string", "0+"),
      structs("Partitions", "0+", [field("PartitionIndex", "int32", "0+"), field("ErrorCode", "int16", "0+")]),
    ]),
  ],
};

const OFFSET_FETCH_RESPONSE_PARTITION = (versions: string): FieldSpec[] => [
  field("PartitionIndex", "int32", "0+"),
  field("CommittedOffset", "int64", "0+"),
  field("CommittedLeaderEpoch", "int32", versions, { default: -1 }),
  field("Metadata", "string", "0+", { nullable: "0+" }),
  field("ErrorCode", "int16", "0+"),
];

const OFFSET_FETCH: ApiSpec = {
  apiKey: 9,
  name: "OffsetFetch",
  versions: versionRange("0-9"),
  flexibleFrom: 6,
  request: [
    field("GroupId", "string", "0-7"),
    // v2–7: null means every topic of the group.
    structs("Topics", "0-7", [field("Name", "string", "0+"), field("PartitionIndexes", "[]int32", "0+")], { nullable: "2-7" }),
    structs("Groups", "8+", [
      field("GroupId", "string", "8+"),
      field("MemberId", "string", "9+", { nullable: "9+" }),
      field("MemberEpoch", "int32", "9+", { default: -1 }),
      structs("Topics", "8+", [field("Name", "string", "8+"), field("PartitionIndexes", "[]int32", "8+")], { nullable: "8+" }),
    ]),
    field("RequireStable", "bool", "7+"),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "3+"),
    structs("Topics", "0-7", [field("Name", "string", "0+"), structs("Partitions", "0+", OFFSET_FETCH_RESPONSE_PARTITION("5-7"))]),
    field("ErrorCode", "int16", "2-7"),
    structs("Groups", "8+", [
      field("GroupId", "string", "8+"),
      structs("Topics", "8+", [field("Name", "string", "8+"), structs("Partitions", "8+", OFFSET_FETCH_RESPONSE_PARTITION("8+"))]),
      field("ErrorCode", "int16", "8+"),
    ]),
  ],
};

const FIND_COORDINATOR: ApiSpec = {
  apiKey: 10,
  name: "FindCoordinator",
  versions: versionRange("0-6"),
  flexibleFrom: 3,
  request: [field("Key", "string", "0-3"), field("KeyType", "int8", "1+"), field("CoordinatorKeys", "[]string", "4+")],
  response: [
    field("ThrottleTimeMs", "int32", "1+"),
    field("ErrorCode", "int16", "0-3"),
    field("ErrorMessage", "string", "1-3", { nullable: "1-3" }),
    field("NodeId", "int32", "0-3"),
    field("Host", "string", "0-3"),
    field("Port", "int32", "0-3"),
    structs("Coordinators", "4+", [
      field("Key", "string", "4+"),
      field("NodeId", "int32", "4+"),
      field("Host", "string", "4+"),
      field("Port", "int32", "4+"),
      field("ErrorCode", "int16", "4+"),
      field("ErrorMessage", "string", "4+", { nullable: "4+" }),
    ]),
  ],
};

const JOIN_GROUP: ApiSpec = {
  apiKey: 11,
  name: "JoinGroup",
  versions: versionRange("0-9"),
  flexibleFrom: 6,
  request: [
    field("GroupId", "string", "0+"),
    field("SessionTimeoutMs", "int32", "0+"),
    field("RebalanceTimeoutMs", "int32", "1+", { default: -1 }),
    field("MemberId", "string", "0+"),
    field("GroupInstanceId", "string", "5+", { nullable: "5+" }),
    field("ProtocolType", "string", "0+"),
    structs("Protocols", "0+", [field("Name", "string", "0+"), field("Metadata", "bytes", "0+")]),
    field("Reason", "string", "8+", { nullable: "8+" }),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "2+"),
    field("ErrorCode", "int16", "0+"),
    field("GenerationId", "int32", "0+", { default: -1 }),
    field("ProtocolType", "string", "7+", { nullable: "7+" }),
    field("ProtocolName", "string", "0+", { nullable: "7+" }),
    field("Leader", "string", "0+"),
    field("SkipAssignment", "bool", "9+"),
    field("MemberId", "string", "0+"),
    structs("Members", "0+", [
      field("MemberId", "string", "0+"),
      field("GroupInstanceId", "string", "5+", { nullable: "5+" }),
      field("Metadata", "bytes", "0+"),
    ]),
  ],
};

const HEARTBEAT: ApiSpec = {
  apiKey: 12,
  name: "Heartbeat",
  versions: versionRange("0-4"),
  flexibleFrom: 4,
  request: [
    field("GroupId", "string", "0+"),
    field("GenerationId", "int32", "0+"),
    field("MemberId", "string", "0+"),
    field("GroupInstanceId", "string", "3+", { nullable: "3+" }),
  ],
  response: [field("ThrottleTimeMs", "int32", "1+"), field("ErrorCode", "int16", "0+")],
};

const LEAVE_GROUP: ApiSpec = {
  apiKey: 13,
  name: "LeaveGroup",
  versions: versionRange("0-5"),
  flexibleFrom: 4,
  request: [
    field("GroupId", "string", "0+"),
    field("MemberId", "string", "0-2"),
    structs("Members", "3+", [
      field("MemberId", "string", "3+"),
      field("GroupInstanceId", "string", "3+", { nullable: "3+" }),
      field("Reason", "string", "5+", { nullable: "5+" }),
    ]),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "1+"),
    field("ErrorCode", "int16", "0+"),
    structs("Members", "3+", [
      field("MemberId", "string", "3+"),
      field("GroupInstanceId", "string", "3+", { nullable: "3+" }),
      field("ErrorCode", "int16", "3+"),
    ]),
  ],
};

const SYNC_GROUP: ApiSpec = {
  apiKey: 14,
  name: "SyncGroup",
  versions: versionRange("0-5"),
  flexibleFrom: 4,
  request: [
    field("GroupId", "string", "0+"),
    field("GenerationId", "int32", "0+"),
    field("MemberId", "string", "0+"),
    field("GroupInstanceId", "string", "3+", { nullable: "3+" }),
    field("ProtocolType", "string", "5+", { nullable: "5+" }),
    field("ProtocolName", "string", "5+", { nullable: "5+" }),
    structs("Assignments", "0+", [field("MemberId", "string", "0+"), field("Assignment", "bytes", "0+")]),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "1+"),
    field("ErrorCode", "int16", "0+"),
    field("ProtocolType", "string", "5+", { nullable: "5+" }),
    field("ProtocolName", "string", "5+", { nullable: "5+" }),
    field("Assignment", "bytes", "0+"),
  ],
};

const API_VERSIONS: ApiSpec = {
  apiKey: 18,
  name: "ApiVersions",
  versions: versionRange("0-4"),
  flexibleFrom: 3,
  request: [field("ClientSoftwareName", "string", "3+"), field("ClientSoftwareVersion", "string", "3+")],
  response: [
    field("ErrorCode", "int16", "0+"),
    structs("ApiKeys", "0+", [field("ApiKey", "int16", "0+"), field("MinVersion", "int16", "0+"), field("MaxVersion", "int16", "0+")]),
    field("ThrottleTimeMs", "int32", "1+"),
  ],
};

const CREATE_TOPICS: ApiSpec = {
  apiKey: 19,
  name: "CreateTopics",
  versions: versionRange("0-7"),
  flexibleFrom: 5,
  request: [
    structs("Topics", "0+", [
      field("Name", "string", "0+"),
      field("NumPartitions", "int32", "0+"),
      field("ReplicationFactor", "int16", "0+"),
      structs("Assignments", "0+", [field("PartitionIndex", "int32", "0+"), field("BrokerIds", "[]int32", "0+")]),
      structs("Configs", "0+", [field("Name", "string", "0+"), field("Value", "string", "0+", { nullable: "0+" })]),
    ]),
    field("TimeoutMs", "int32", "0+", { default: 60000 }),
    field("ValidateOnly", "bool", "1+"),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "2+"),
    structs("Topics", "0+", [
      field("Name", "string", "0+"),
      field("TopicId", "uuid", "7+"),
      field("ErrorCode", "int16", "0+"),
      field("ErrorMessage", "string", "1+", { nullable: "0+" }),
      field("NumPartitions", "int32", "5+", { default: -1 }),
      field("ReplicationFactor", "int16", "5+", { default: -1 }),
      structs(
        "Configs",
        "5+",
        [
          field("Name", "string", "5+"),
          field("Value", "string", "5+", { nullable: "5+" }),
          field("ReadOnly", "bool", "5+"),
          field("ConfigSource", "int8", "5+", { default: -1 }),
          field("IsSensitive", "bool", "5+"),
        ],
        { nullable: "5+" },
      ),
    ]),
  ],
};

const DELETE_TOPICS: ApiSpec = {
  apiKey: 20,
  name: "DeleteTopics",
  versions: versionRange("0-6"),
  flexibleFrom: 4,
  request: [
    structs("Topics", "6+", [field("Name", "string", "6+", { nullable: "6+" }), field("TopicId", "uuid", "6+")]),
    field("TopicNames", "[]string", "0-5"),
    field("TimeoutMs", "int32", "0+"),
  ],
  response: [
    field("ThrottleTimeMs", "int32", "1+"),
    structs("Responses", "0+", [
      field("Name", "string", "0+", { nullable: "6+" }),
      field("TopicId", "uuid", "6+"),
      field("ErrorCode", "int16", "0+"),
      field("ErrorMessage", "string", "5+", { nullable: "5+" }),
    ]),
  ],
};

/** The APIs whose bodies the proxy reads, by key. */
export const API_SPECS: ReadonlyMap<number, ApiSpec> = new Map(
  [
    PRODUCE,
    FETCH,
    LIST_OFFSETS,
    METADATA,
    OFFSET_COMMIT,
    OFFSET_FETCH,
    FIND_COORDINATOR,
    JOIN_GROUP,
    HEARTBEAT,
    LEAVE_GROUP,
    SYNC_GROUP,
    API_VERSIONS,
    CREATE_TOPICS,
    DELETE_TOPICS,
  ].map((s) => [s.apiKey, s]),
);

/** Kafka's API keys by name, for the ones the proxy reads. */
export const API_KEY = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  ControlledShutdown: 7,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
} as const;

/** The spec of `apiKey` at `version`, when its body is described here. */
export function specFor(apiKey: number, version: number): ApiSpec | null {
  const spec = API_SPECS.get(apiKey);
  return spec !== undefined && version >= spec.versions.min && version <= spec.versions.max ? spec : null;
}
