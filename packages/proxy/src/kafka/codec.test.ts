import assert from "node:assert/strict";
import { test } from "node:test";
import { RequestFrameReader, ResponseSplitter, type ResponsePiece } from "./framing.ts";
import { API_SPECS } from "./messages.ts";
import { decodeRequest, decodeRequestHeader, encodeRequest, type TopicScope } from "./request.ts";
import { decodeResponse, deniedResponse, encodeResponse, responseHeaderFlexible } from "./response.ts";
import { structsOf, type FieldSpec, type KafkaStruct, type KafkaValue } from "./schema.ts";
import { arr, bool, byts, carr, cat, cbyts, cstr, frame, header, i16, i32, i64, i8, str, tags0, uuid, uv } from "./test-support/bytes.ts";

/*
 * The request codec against bytes written by hand from Kafka's message definitions: one or more
 * rows per API and layout change (classic and flexible), what topics each names, and round trips
 * of every API at every version it reads.
 */

interface Row {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly apiKey: number;
  readonly version: number;
  readonly topics: readonly string[];
  readonly scope: TopicScope;
  readonly expectsResponse?: boolean;
  readonly clientId?: string | null;
}

const H = (key: number, v: number, flexible = false): number[] => header(key, v, 42, "cli", flexible);
const row = (
  name: string,
  key: number,
  v: number,
  body: number[][],
  topics: string[],
  scope: TopicScope = "listed",
  flexible = false,
): Row => ({
  name,
  bytes: cat(H(key, v, flexible), ...body),
  apiKey: key,
  version: v,
  topics,
  scope,
});
const flex = (name: string, key: number, v: number, body: number[][], topics: string[], scope: TopicScope = "listed"): Row =>
  row(name, key, v, body, topics, scope, true);

const produceTopic = (t: string, ...partitions: number[]): number[] => [
  ...str(t),
  ...arr(partitions.map((p) => [...i32(p), ...byts([1, 2, 3])])),
];
const fetchPartitionV4 = (p: number): number[] => [...i32(p), ...i64(10), ...i32(1024)];
/** A tagged-field section with one field: tag 0, the bytes of a compact string. */
const oneTag = [...uv(1), ...uv(0), ...uv(cstr("cluster").length), ...cstr("cluster")];

const ROWS: Row[] = [
  // Produce (0)
  row("Produce v0", 0, 0, [i16(1), i32(1000), arr([produceTopic("payments", 0, 1)])], ["payments"]),
  row(
    "Produce v2, two topics",
    0,
    2,
    [i16(-1), i32(1000), arr([produceTopic("a", 0), produceTopic("b", 0), produceTopic("a", 1)])],
    ["a", "b"],
  ),
  { ...row("Produce v3 acks=0", 0, 3, [str(null), i16(0), i32(1000), arr([produceTopic("t", 0)])], ["t"]), expectsResponse: false },
  row("Produce v7 transactional", 0, 7, [str("tx"), i16(-1), i32(1000), arr([produceTopic("t", 0)])], ["t"]),
  flex(
    "Produce v9 (flexible)",
    0,
    9,
    [
      cstr(null),
      i16(-1),
      i32(1000),
      carr([
        [...cstr("a"), ...carr([[...i32(0), ...cbyts([1]), ...tags0]]), ...tags0],
        [...cstr("b"), ...carr([[...i32(0), ...cbyts(null), ...tags0]]), ...tags0],
      ]),
      tags0,
    ],
    ["a", "b"],
  ),
  // Fetch (1)
  row("Fetch v0", 1, 0, [i32(-1), i32(100), i32(1), arr([[...str("a"), ...arr([fetchPartitionV4(0)])]])], ["a"]),
  row("Fetch v4", 1, 4, [i32(-1), i32(100), i32(1), i32(1 << 20), i8(1), arr([[...str("a"), ...arr([fetchPartitionV4(0)])]])], ["a"]),
  row(
    "Fetch v11 (kafkajs's), forgotten topics not counted",
    1,
    11,
    [
      i32(-1),
      i32(100),
      i32(1),
      i32(1 << 20),
      i8(1),
      i32(0),
      i32(-1),
      arr([[...str("a"), ...arr([[...i32(0), ...i32(-1), ...i64(5), ...i64(-1), ...i32(1024)]])]]),
      arr([[...str("gone"), ...arr([i32(0)])]]),
      str("rack"),
    ],
    ["a"],
  ),
  flex(
    "Fetch v12 (flexible, a tagged field)",
    1,
    12,
    [
      i32(-1),
      i32(100),
      i32(1),
      i32(1 << 20),
      i8(0),
      i32(0),
      i32(-1),
      carr([[...cstr("a"), ...carr([[...i32(0), ...i32(-1), ...i64(5), ...i32(-1), ...i64(-1), ...i32(1024), ...tags0]]), ...tags0]]),
      carr([[...cstr("gone"), ...carr([i32(1)]), ...tags0]]),
      cstr(""),
      oneTag,
    ],
    ["a"],
  ),
  flex(
    "Fetch v13 (topic ids)",
    1,
    13,
    [
      i32(-1),
      i32(100),
      i32(1),
      i32(1 << 20),
      i8(0),
      i32(0),
      i32(-1),
      carr([[...uuid(1), ...carr([[...i32(0), ...i32(-1), ...i64(5), ...i32(-1), ...i64(-1), ...i32(1024), ...tags0]]), ...tags0]]),
      carr([]),
      cstr(""),
      tags0,
    ],
    [],
    "unparsed",
  ),
  // ListOffsets (2)
  row("ListOffsets v0", 2, 0, [i32(-1), arr([[...str("a"), ...arr([[...i32(0), ...i64(-1), ...i32(1)]])]])], ["a"]),
  row("ListOffsets v3", 2, 3, [i32(-1), i8(0), arr([[...str("a"), ...arr([[...i32(0), ...i64(-2)]])]])], ["a"]),
  flex(
    "ListOffsets v6 (flexible)",
    2,
    6,
    [i32(-1), i8(0), carr([[...cstr("a"), ...carr([[...i32(0), ...i32(-1), ...i64(-2), ...tags0]]), ...tags0]]), tags0],
    ["a"],
  ),
  flex("ListOffsets v10", 2, 10, [i32(-1), i8(0), carr([[...cstr("a"), ...carr([]), ...tags0]]), i32(500), tags0], ["a"]),
  // Metadata (3)
  row("Metadata v0, empty list = every topic", 3, 0, [arr([])], [], "all"),
  row("Metadata v0", 3, 0, [arr([str("a"), str("b")])], ["a", "b"]),
  row("Metadata v1, null = every topic", 3, 1, [arr(null)], [], "all"),
  row("Metadata v1, empty list = no topic", 3, 1, [arr([])], []),
  row("Metadata v4", 3, 4, [arr([str("a")]), bool(true)], ["a"]),
  row("Metadata v6 (kafkajs's)", 3, 6, [arr([str("a"), str("b")]), bool(false)], ["a", "b"]),
  row("Metadata v8", 3, 8, [arr([str("a")]), bool(true), bool(false), bool(true)], ["a"]),
  flex("Metadata v9 (flexible)", 3, 9, [carr([[...cstr("a"), ...tags0]]), bool(true), bool(false), bool(false), tags0], ["a"]),
  flex(
    "Metadata v10, a topic by id only",
    3,
    10,
    [carr([[...uuid(3), ...cstr(null), ...tags0]]), bool(true), bool(false), bool(false), tags0],
    [],
    "unparsed",
  ),
  flex("Metadata v12", 3, 12, [carr([[...uuid(0), ...cstr("a"), ...tags0]]), bool(true), bool(false), tags0], ["a"]),
  flex("Metadata v12, null = every topic", 3, 12, [carr(null), bool(true), bool(false), tags0], [], "all"),
  // OffsetCommit (8)
  row("OffsetCommit v0", 8, 0, [str("g"), arr([[...str("a"), ...arr([[...i32(0), ...i64(5), ...str(null)]])]])], ["a"]),
  row(
    "OffsetCommit v1",
    8,
    1,
    [str("g"), i32(1), str("m"), arr([[...str("a"), ...arr([[...i32(0), ...i64(5), ...i64(-1), ...str("")]])]])],
    ["a"],
  ),
  row(
    "OffsetCommit v2",
    8,
    2,
    [str("g"), i32(1), str("m"), i64(-1), arr([[...str("a"), ...arr([[...i32(0), ...i64(5), ...str("")]])]])],
    ["a"],
  ),
  row(
    "OffsetCommit v5 (kafkajs's)",
    8,
    5,
    [str("g"), i32(1), str("m"), arr([[...str("a"), ...arr([[...i32(0), ...i64(5), ...str("")]])]])],
    ["a"],
  ),
  row(
    "OffsetCommit v7",
    8,
    7,
    [str("g"), i32(1), str("m"), str(null), arr([[...str("a"), ...arr([[...i32(0), ...i64(5), ...i32(-1), ...str("")]])]])],
    ["a"],
  ),
  flex(
    "OffsetCommit v8 (flexible)",
    8,
    8,
    [
      cstr("g"),
      i32(1),
      cstr("m"),
      cstr(null),
      carr([[...cstr("a"), ...carr([[...i32(0), ...i64(5), ...i32(-1), ...cstr(""), ...tags0]]), ...tags0]]),
      tags0,
    ],
    ["a"],
  ),
  // OffsetFetch (9)
  row("OffsetFetch v1", 9, 1, [str("g"), arr([[...str("a"), ...arr([i32(0), i32(1)])]])], ["a"]),
  row("OffsetFetch v2, null = every topic", 9, 2, [str("g"), arr(null)], [], "all"),
  row(
    "OffsetFetch v4 (kafkajs's)",
    9,
    4,
    [
      str("g"),
      arr([
        [...str("a"), ...arr([i32(0)])],
        [...str("b"), ...arr([i32(0)])],
      ]),
    ],
    ["a", "b"],
  ),
  flex("OffsetFetch v7 (flexible)", 9, 7, [cstr("g"), carr([[...cstr("a"), ...carr([i32(0)]), ...tags0]]), bool(true), tags0], ["a"]),
  flex(
    "OffsetFetch v8 (groups)",
    9,
    8,
    [
      carr([
        [...cstr("g1"), ...carr([[...cstr("a"), ...carr([i32(0)]), ...tags0]]), ...tags0],
        [...cstr("g2"), ...carr([[...cstr("b"), ...carr([]), ...tags0]]), ...tags0],
      ]),
      bool(false),
      tags0,
    ],
    ["a", "b"],
  ),
  flex(
    "OffsetFetch v9, a group's null = every topic",
    9,
    9,
    [carr([[...cstr("g1"), ...cstr(null), ...i32(-1), ...carr(null), ...tags0]]), bool(false), tags0],
    [],
    "all",
  ),
  // FindCoordinator (10)
  row("FindCoordinator v0", 10, 0, [str("g")], []),
  row("FindCoordinator v2", 10, 2, [str("g"), i8(0)], []),
  flex("FindCoordinator v3 (flexible)", 10, 3, [cstr("g"), i8(0), tags0], []),
  flex("FindCoordinator v4 (batched)", 10, 4, [i8(0), carr([cstr("g1"), cstr("g2")]), tags0], []),
  // JoinGroup (11)
  row("JoinGroup v0", 11, 0, [str("g"), i32(30000), str(""), str("consumer"), arr([[...str("range"), ...byts([0, 1])]])], []),
  row(
    "JoinGroup v5 (kafkajs's)",
    11,
    5,
    [str("g"), i32(30000), i32(60000), str(""), str(null), str("consumer"), arr([[...str("range"), ...byts([0])]])],
    [],
  ),
  flex(
    "JoinGroup v6 (flexible)",
    11,
    6,
    [cstr("g"), i32(30000), i32(60000), cstr(""), cstr(null), cstr("consumer"), carr([[...cstr("range"), ...cbyts([0]), ...tags0]]), tags0],
    [],
  ),
  flex(
    "JoinGroup v8",
    11,
    8,
    [cstr("g"), i32(30000), i32(60000), cstr(""), cstr(null), cstr("consumer"), carr([]), cstr("why"), tags0],
    [],
  ),
  // Heartbeat (12), LeaveGroup (13), SyncGroup (14)
  row("Heartbeat v0", 12, 0, [str("g"), i32(1), str("m")], []),
  row("Heartbeat v3", 12, 3, [str("g"), i32(1), str("m"), str(null)], []),
  flex("Heartbeat v4 (flexible)", 12, 4, [cstr("g"), i32(1), cstr("m"), cstr(null), tags0], []),
  row("LeaveGroup v0", 13, 0, [str("g"), str("m")], []),
  row("LeaveGroup v3", 13, 3, [str("g"), arr([[...str("m"), ...str(null)]])], []),
  flex("LeaveGroup v5 (flexible)", 13, 5, [cstr("g"), carr([[...cstr("m"), ...cstr(null), ...cstr("bye"), ...tags0]]), tags0], []),
  row("SyncGroup v0", 14, 0, [str("g"), i32(1), str("m"), arr([[...str("m"), ...byts([1])]])], []),
  row("SyncGroup v3", 14, 3, [str("g"), i32(1), str("m"), str(null), arr([])], []),
  flex(
    "SyncGroup v5 (flexible)",
    14,
    5,
    [cstr("g"), i32(1), cstr("m"), cstr(null), cstr("consumer"), cstr("range"), carr([[...cstr("m"), ...cbyts([1]), ...tags0]]), tags0],
    [],
  ),
  // ApiVersions (18)
  row("ApiVersions v0", 18, 0, [], []),
  row("ApiVersions v2", 18, 2, [], []),
  flex("ApiVersions v3 (flexible)", 18, 3, [cstr("kafkajs"), cstr("2.2.4"), tags0], []),
  // CreateTopics (19), DeleteTopics (20)
  row(
    "CreateTopics v0",
    19,
    0,
    [arr([[...str("a"), ...i32(1), ...i16(1), ...arr([[...i32(0), ...arr([i32(0)])]]), ...arr([[...str("k"), ...str(null)]])]]), i32(5000)],
    ["a"],
  ),
  row(
    "CreateTopics v3",
    19,
    3,
    [
      arr([
        [...str("a"), ...i32(1), ...i16(1), ...arr([]), ...arr([])],
        [...str("b"), ...i32(1), ...i16(1), ...arr([]), ...arr([])],
      ]),
      i32(5000),
      bool(false),
    ],
    ["a", "b"],
  ),
  flex(
    "CreateTopics v5 (flexible)",
    19,
    5,
    [
      carr([[...cstr("a"), ...i32(-1), ...i16(-1), ...carr([]), ...carr([[...cstr("k"), ...cstr("v"), ...tags0]]), ...tags0]]),
      i32(5000),
      bool(true),
      tags0,
    ],
    ["a"],
  ),
  row("DeleteTopics v0", 20, 0, [arr([str("a"), str("b")]), i32(5000)], ["a", "b"]),
  flex("DeleteTopics v4 (flexible)", 20, 4, [carr([cstr("a")]), i32(5000), tags0], ["a"]),
  flex("DeleteTopics v6", 20, 6, [carr([[...cstr("a"), ...uuid(0), ...tags0]]), i32(5000), tags0], ["a"]),
  flex(
    "DeleteTopics v6, a topic by id only",
    20,
    6,
    [
      carr([
        [...cstr("a"), ...uuid(0), ...tags0],
        [...cstr(null), ...uuid(9), ...tags0],
      ]),
      i32(5000),
      tags0,
    ],
    ["a"],
    "unparsed",
  ),
  // APIs and versions the proxy does not read: the header only.
  row("DescribeGroups v0 (not read)", 15, 0, [arr([str("g")])], [], "unparsed"),
  row("Produce v99 (not read)", 0, 99, [[1, 2, 3]], [], "unparsed"),
  {
    ...flex("Produce v12 acks=0 (not read, acks found)", 0, 12, [cstr(null), i16(0), i32(1000), carr([]), tags0], [], "unparsed"),
    expectsResponse: false,
  },
  {
    name: "ControlledShutdown v0: header v0, no client id",
    bytes: cat(i16(7), i16(0), i32(42), i32(1)),
    apiKey: 7,
    version: 0,
    topics: [],
    scope: "unparsed",
    clientId: null,
  },
  { ...row("a null client id", 18, 0, [], []), bytes: cat(i16(18), i16(0), i32(42), i16(-1)), clientId: null },
];

test("request table: header, topics, topic scope, expected response", () => {
  for (const r of ROWS) {
    const d = decodeRequest(r.bytes);
    assert.ok(d.ok, `${r.name}: ${d.ok ? "" : JSON.stringify(d.error)}`);
    const { header: h } = d.value;
    assert.deepEqual([h.apiKey, h.apiVersion, h.correlationId], [r.apiKey, r.version, 42], r.name);
    assert.equal(h.clientId, r.clientId === undefined ? "cli" : r.clientId, r.name);
    assert.deepEqual(d.value.topics, r.topics, r.name);
    assert.equal(d.value.topicScope, r.scope, r.name);
    assert.equal(d.value.expectsResponse, r.expectsResponse ?? true, r.name);
    const notRead = r.name.includes("not read") || r.apiKey === 7;
    assert.equal(d.value.body === null, notRead, `${r.name}: the body is read iff the API and version are`);
  }
});

test("every read row loses its validity when cut short or given a trailing byte", () => {
  for (const r of ROWS) {
    if (decodeRequest(r.bytes).ok && r.scope !== "unparsed") {
      assert.equal(decodeRequest(r.bytes.subarray(0, r.bytes.length - 1)).ok, false, `${r.name} truncated`);
      assert.equal(decodeRequest(cat([...r.bytes], [0])).ok, false, `${r.name} with a trailing byte`);
    }
  }
});

test("request headers: tagged fields of header v2 are skipped, header v1 has none", () => {
  const v2 = cat(i16(3), i16(9), i32(7), str("c"), oneTag, carr(null), bool(true), bool(false), bool(false), tags0);
  const h = decodeRequestHeader(v2);
  assert.ok(h.ok);
  assert.equal(h.value.bodyOffset, 10 + 1 + oneTag.length);
  assert.equal(decodeRequest(v2).ok, true);
  // The same tagged section in a v1 header is body bytes, and Metadata v8's body does not parse then.
  assert.equal(decodeRequest(cat(i16(3), i16(8), i32(7), str("c"), oneTag, arr(null), bool(true), bool(false), bool(false))).ok, false);
});

/** A value of every field present at `version`: the same shape a decoder returns. */
function sample(fields: readonly FieldSpec[], version: number, seed: number): KafkaStruct {
  const out: Record<string, KafkaValue> = {};
  for (const f of fields) {
    if (version < f.versions.min || version > f.versions.max) continue;
    const nullable = f.nullable !== null && version >= f.nullable.min && version <= f.nullable.max;
    if (nullable && seed % 3 === 0) {
      out[f.name] = null;
      continue;
    }
    const one = (i: number): KafkaValue => {
      if (typeof f.type !== "string") return sample(f.type, version, seed + i + 1);
      switch (f.type) {
        case "int8":
          return (seed + i) % 100;
        case "int16":
          return -(seed + i);
        case "int32":
          return 100_000 + seed + i;
        case "int64":
          return BigInt(seed + i) * 10_000_000_000n;
        case "bool":
          return (seed + i) % 2 === 0;
        case "uuid":
          return new Uint8Array(16).fill(seed + i);
        case "string":
          return `s${seed + i}-é`;
        case "bytes":
        case "records":
          return Uint8Array.of(seed, i, 255);
      }
    };
    out[f.name] = f.array ? [one(0), one(1)] : one(0);
  }
  return out;
}

test("round trips: every API the proxy reads, every version, requests and responses", () => {
  let checked = 0;
  for (const spec of API_SPECS.values()) {
    for (let v = spec.versions.min; v <= spec.versions.max; v++) {
      for (const seed of [1, 3]) {
        const body = sample(spec.request, v, seed);
        const bytes = encodeRequest({ apiKey: spec.apiKey, apiVersion: v, correlationId: seed, clientId: "rt" }, body);
        const d = decodeRequest(bytes.subarray(4));
        assert.ok(d.ok, `${spec.name} v${v} request: ${d.ok ? "" : JSON.stringify(d.error)}`);
        assert.deepEqual(d.value.body, body, `${spec.name} v${v} request`);
        const resBody = sample(spec.response, v, seed);
        const res = encodeResponse(spec.apiKey, v, seed, resBody);
        assert.ok(res !== null);
        const r = decodeResponse(res.subarray(4), spec.apiKey, v);
        assert.ok(r.ok, `${spec.name} v${v} response: ${r.ok ? "" : JSON.stringify(r.error)}`);
        assert.deepEqual(r.value, { correlationId: seed, body: resBody }, `${spec.name} v${v} response`);
        checked++;
      }
    }
  }
  assert.ok(checked > 200, `${checked} round trips`);
});

test("response headers: v1 (tagged fields) for flexible versions, except ApiVersions", () => {
  assert.equal(responseHeaderFlexible(3, 8), false);
  assert.equal(responseHeaderFlexible(3, 9), true);
  assert.equal(responseHeaderFlexible(18, 3), false);
  const apiVersions = encodeResponse(18, 3, 5, { ErrorCode: 35, ApiKeys: [] });
  // size, correlation id, then the body at once: error code 35, an empty compact array, throttle, no tags.
  assert.deepEqual([...apiVersions!], [...i32(4 + 2 + 1 + 4 + 1), ...i32(5), ...i16(35), 1, ...i32(0), 0]);
  const heartbeat = encodeResponse(12, 4, 5, { ErrorCode: 29 });
  assert.deepEqual([...heartbeat!], [...i32(4 + 1 + 4 + 2 + 1), ...i32(5), 0, ...i32(0), ...i16(29), 0]);
});

test("denied responses carry TOPIC_AUTHORIZATION_FAILED for each topic-partition, in the request's version", () => {
  const byName = new Map(ROWS.map((r) => [r.name, r]));
  const denied = (name: string): KafkaStruct => {
    const r = byName.get(name)!;
    const d = decodeRequest(r.bytes);
    assert.ok(d.ok);
    const res = deniedResponse(d.value);
    assert.ok(res !== null, name);
    const back = decodeResponse(res.subarray(4), r.apiKey, r.version);
    assert.ok(back.ok, `${name}: ${back.ok ? "" : JSON.stringify(back.error)}`);
    assert.equal(back.value.correlationId, 42);
    return back.value.body;
  };
  const errorsOf = (items: readonly KafkaStruct[] | null, nameField: string, partsField: string): string[] =>
    (items ?? []).flatMap((t) =>
      (structsOf(t, partsField) ?? []).map(
        (p) => `${String(t[nameField])}/${String(p["PartitionIndex"] ?? p["Index"])}:${String(p["ErrorCode"])}`,
      ),
    );

  assert.deepEqual(errorsOf(structsOf(denied("Produce v0"), "Responses"), "Name", "PartitionResponses"), [
    "payments/0:29",
    "payments/1:29",
  ]);
  assert.deepEqual(errorsOf(structsOf(denied("Produce v9 (flexible)"), "Responses"), "Name", "PartitionResponses"), ["a/0:29", "b/0:29"]);
  const fetch = denied("Fetch v11 (kafkajs's), forgotten topics not counted");
  assert.equal(fetch["ErrorCode"], 0);
  assert.deepEqual(errorsOf(structsOf(fetch, "Responses"), "Topic", "Partitions"), ["a/0:29"]);
  assert.deepEqual(errorsOf(structsOf(denied("Fetch v12 (flexible, a tagged field)"), "Responses"), "Topic", "Partitions"), ["a/0:29"]);
  assert.deepEqual(errorsOf(structsOf(denied("ListOffsets v0"), "Topics"), "Name", "Partitions"), ["a/0:29"]);
  const metadata = denied("Metadata v6 (kafkajs's)");
  assert.deepEqual(
    structsOf(metadata, "Topics")!.map((t) => [t["Name"], t["ErrorCode"]]),
    [
      ["a", 29],
      ["b", 29],
    ],
  );
  assert.deepEqual(structsOf(metadata, "Brokers"), []);
  assert.deepEqual(structsOf(denied("Metadata v1, null = every topic"), "Topics"), []);
  assert.deepEqual(errorsOf(structsOf(denied("OffsetCommit v8 (flexible)"), "Topics"), "Name", "Partitions"), ["a/0:29"]);
  const offsetFetch = denied("OffsetFetch v4 (kafkajs's)");
  assert.deepEqual(errorsOf(structsOf(offsetFetch, "Topics"), "Name", "Partitions"), ["a/0:29", "b/0:29"]);
  assert.equal(offsetFetch["ErrorCode"], 0);
  assert.equal(denied("OffsetFetch v2, null = every topic")["ErrorCode"], 29);
  assert.deepEqual(
    structsOf(denied("OffsetFetch v8 (groups)"), "Groups")!.map((g) => [
      g["GroupId"],
      g["ErrorCode"],
      errorsOf(structsOf(g, "Topics"), "Name", "Partitions"),
    ]),
    [
      ["g1", 0, ["a/0:29"]],
      ["g2", 0, []],
    ],
  );
  for (const name of [
    "FindCoordinator v0",
    "FindCoordinator v3 (flexible)",
    "JoinGroup v5 (kafkajs's)",
    "JoinGroup v6 (flexible)",
    "Heartbeat v4 (flexible)",
  ]) {
    assert.equal(denied(name)["ErrorCode"], 29, name);
  }
  assert.deepEqual(
    structsOf(denied("FindCoordinator v4 (batched)"), "Coordinators")!.map((c) => [c["Key"], c["ErrorCode"]]),
    [
      ["g1", 29],
      ["g2", 29],
    ],
  );
  for (const name of [
    "LeaveGroup v0",
    "LeaveGroup v5 (flexible)",
    "SyncGroup v0",
    "SyncGroup v5 (flexible)",
    "ApiVersions v0",
    "ApiVersions v3 (flexible)",
  ]) {
    assert.equal(denied(name)["ErrorCode"], 29, name);
  }
  assert.deepEqual(
    structsOf(denied("CreateTopics v3"), "Topics")!.map((t) => [t["Name"], t["ErrorCode"]]),
    [
      ["a", 29],
      ["b", 29],
    ],
  );
  assert.deepEqual(
    structsOf(denied("DeleteTopics v0"), "Responses")!.map((t) => [t["Name"], t["ErrorCode"]]),
    [
      ["a", 29],
      ["b", 29],
    ],
  );
  assert.deepEqual(
    structsOf(denied("DeleteTopics v6, a topic by id only"), "Responses")!.map((t) => [
      t["Name"],
      [...(t["TopicId"] as Uint8Array)][0],
      t["ErrorCode"],
    ]),
    [
      ["a", 0, 29],
      [null, 9, 29],
    ],
  );
});

test("no denied response is made for APIs or versions the proxy does not read", () => {
  for (const name of ["DescribeGroups v0 (not read)", "Produce v99 (not read)", "ControlledShutdown v0: header v0, no client id"]) {
    const r = ROWS.find((x) => x.name === name)!;
    const d = decodeRequest(r.bytes);
    assert.ok(d.ok);
    assert.equal(deniedResponse(d.value), null, name);
  }
});

test("request framing: frames split anywhere come out whole; sizes out of bounds are errors", () => {
  const a = frame(cat(H(18, 0)));
  const b = frame(cat(H(3, 1), arr([str("a")])));
  const stream = cat([...a], [...b]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new RequestFrameReader(1024);
    const first = reader.push(stream.subarray(0, cut));
    const second = reader.push(stream.subarray(cut));
    assert.ok(first.ok && second.ok);
    const frames = [...first.value, ...second.value];
    assert.deepEqual(
      frames.map((f) => [...f.bytes]),
      [[...a], [...b]],
      `cut at ${cut}`,
    );
    assert.deepEqual([...frames[1]!.message], [...b.subarray(4)]);
    assert.equal(reader.pending, 0);
  }
  for (const [size, why] of [
    [-1, /negative/],
    [7, /shorter than a request header/],
    [1025, /exceeds the limit of 1024/],
    [0x7fffffff, /exceeds/],
  ] as const) {
    const reader = new RequestFrameReader(1024);
    const r = reader.push(cat(i32(size), [0, 0]));
    assert.ok(!r.ok);
    assert.match(r.error, why);
    assert.ok(!reader.push(a).ok, "a failed reader stays failed");
  }
  const exact = new RequestFrameReader(8);
  const r = exact.push(frame(cat(i16(18), i16(0), i32(1))));
  assert.ok(r.ok && r.value.length === 1, "a frame of exactly the limit passes");
});

test("response framing: the correlation id is known before any byte passes, bodies stream through", () => {
  const r1 = cat(i32(4 + 3), i32(7), [1, 2, 3]);
  const r2 = cat(i32(4), i32(8));
  const stream = cat([...r1], [...r2]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const s = new ResponseSplitter();
    const pieces: ResponsePiece[] = [];
    for (const part of [stream.subarray(0, cut), stream.subarray(cut)]) {
      const r = s.push(part);
      assert.ok(r.ok);
      pieces.push(...r.value);
    }
    const starts = pieces.filter((p) => p.kind === "start").map((p) => p.correlationId);
    assert.deepEqual(starts, [7, 8]);
    assert.equal(pieces.filter((p) => p.kind === "end").length, 2);
    const bytes = pieces.flatMap((p) => (p.kind === "data" ? [...p.bytes] : []));
    assert.deepEqual(bytes, [...stream]);
    // No data piece comes before its frame's start.
    assert.equal(pieces[0]?.kind, "start");
    assert.ok(s.idle);
  }
  const bad = new ResponseSplitter().push(cat(i32(3), i32(1)));
  assert.ok(!bad.ok);
});
