import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { RequestFrameReader } from "../framing.ts";
import { API_KEY, API_SPECS } from "../messages.ts";
import { decodeRequest, type DecodedRequest } from "../request.ts";
import { encodeResponse } from "../response.ts";
import { bigintOf, bytesOf, numberOf, stringOf, structsOf, valuesOf, type KafkaStruct } from "../schema.ts";

/**
 * A small single-node Kafka broker for tests: enough of Kafka for kafkajs producers and a
 * one-member consumer group, on 127.0.0.1. Topics are auto-created with one partition; record
 * batches are stored as the producer sent them (offsets rewritten) and fetched back as bytes.
 * Metadata and FindCoordinator advertise a configurable address — the proxy's — so clients keep
 * talking through the proxy. Requests on one connection are served one at a time, in order.
 */

/** A request the broker received. */
export interface BrokerHit {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly clientId: string | null;
  readonly topics: readonly string[];
}

/** How to run a {@link TestBroker}. */
export interface TestBrokerOptions {
  /** The highest version advertised per API key (default: every version the codec reads). */
  readonly maxVersions?: ReadonlyMap<number, number>;
}

interface Entry {
  readonly base: bigint;
  readonly last: bigint;
  readonly bytes: Uint8Array;
}

interface PartitionLog {
  readonly entries: Entry[];
  next: bigint;
}

interface Group {
  generation: number;
  members: Map<string, Uint8Array>;
  protocol: string;
  assignments: Map<string, Uint8Array>;
  readonly offsets: Map<string, bigint>;
}

const NODE_ID = 0;
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const TOPIC_ALREADY_EXISTS = 36;
/** The longest an empty Fetch is held (kafkajs asks for its maxWaitTime; tests keep it short). */
const MAX_FETCH_WAIT_MS = 200;

export class TestBroker {
  /** Every request received, in order. */
  readonly hits: BrokerHit[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #topics = new Map<string, PartitionLog[]>();
  readonly #groups = new Map<string, Group>();
  readonly #maxVersions: ReadonlyMap<number, number>;
  #advertised: { host: string; port: number };
  #members = 0;

  private constructor(server: Server, options: TestBrokerOptions) {
    this.#server = server;
    this.#maxVersions = options.maxVersions ?? new Map();
    this.#advertised = { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
    server.on("connection", (s) => this.#serve(s));
  }

  /** Starts a broker on 127.0.0.1, on a free port. */
  static async start(options: TestBrokerOptions = {}): Promise<TestBroker> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new TestBroker(server, options);
  }

  /** The broker's own port. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The address Metadata and FindCoordinator give clients from now on. */
  advertise(host: string, port: number): void {
    this.#advertised = { host, port };
  }

  /** Creates a topic of one partition (also done by Metadata requests that allow it). */
  createTopic(name: string): void {
    if (!this.#topics.has(name)) this.#topics.set(name, [{ entries: [], next: 0n }]);
  }

  /** How many records (offsets) a topic's partition 0 holds. */
  recordCount(topic: string): number {
    return Number(this.#topics.get(topic)?.[0]?.next ?? 0n);
  }

  /** The requests of one API key received so far. */
  hitsOf(apiKey: number): BrokerHit[] {
    return this.hits.filter((h) => h.apiKey === apiKey);
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
    socket.on("error", () => undefined);
    const reader = new RequestFrameReader(16 * 1024 * 1024);
    let chain = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      const frames = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      if (!frames.ok) return void socket.destroy();
      for (const f of frames.value) {
        chain = chain.then(async () => {
          if (socket.destroyed) return;
          const req = decodeRequest(f.message);
          if (!req.ok || req.value.body === null) return void socket.destroy();
          const { header } = req.value;
          this.hits.push({ apiKey: header.apiKey, apiVersion: header.apiVersion, clientId: header.clientId, topics: req.value.topics });
          const body = await this.#answer(req.value, req.value.body);
          if (body === null || socket.destroyed) return;
          const bytes = encodeResponse(header.apiKey, header.apiVersion, header.correlationId, body);
          if (bytes === null) return void socket.destroy();
          socket.write(bytes);
        });
      }
    });
  }

  async #answer(req: DecodedRequest, body: KafkaStruct): Promise<KafkaStruct | null> {
    const version = req.header.apiVersion;
    switch (req.header.apiKey) {
      case API_KEY.ApiVersions:
        return {
          ErrorCode: 0,
          ApiKeys: [...API_SPECS.values()].map((s) => ({
            ApiKey: s.apiKey,
            MinVersion: s.versions.min,
            MaxVersion: Math.min(s.versions.max, this.#maxVersions.get(s.apiKey) ?? Infinity),
          })),
        };
      case API_KEY.Metadata:
        return this.#metadata(req, body);
      case API_KEY.Produce:
        return this.#produce(body);
      case API_KEY.Fetch:
        return this.#fetch(body);
      case API_KEY.ListOffsets:
        return this.#listOffsets(body, version);
      case API_KEY.FindCoordinator: {
        const { host, port } = this.#advertised;
        const keys = (valuesOf(body, "CoordinatorKeys") ?? []).map(String);
        return {
          ErrorCode: 0,
          NodeId: NODE_ID,
          Host: host,
          Port: port,
          Coordinators: keys.map((Key) => ({ Key, NodeId: NODE_ID, Host: host, Port: port })),
        };
      }
      case API_KEY.JoinGroup:
        return this.#joinGroup(body);
      case API_KEY.SyncGroup: {
        const group = this.#group(stringOf(body, "GroupId") ?? "");
        for (const a of structsOf(body, "Assignments") ?? []) {
          group.assignments.set(stringOf(a, "MemberId") ?? "", bytesOf(a, "Assignment") ?? new Uint8Array(0));
        }
        const assignment = group.assignments.get(stringOf(body, "MemberId") ?? "") ?? new Uint8Array(0);
        return { ErrorCode: 0, ProtocolType: "consumer", ProtocolName: group.protocol, Assignment: assignment };
      }
      case API_KEY.Heartbeat:
        return { ErrorCode: 0 };
      case API_KEY.LeaveGroup: {
        const group = this.#group(stringOf(body, "GroupId") ?? "");
        const leaving =
          version >= 3 ? (structsOf(body, "Members") ?? []).map((m) => stringOf(m, "MemberId") ?? "") : [stringOf(body, "MemberId") ?? ""];
        for (const m of leaving) group.members.delete(m);
        return { ErrorCode: 0, Members: leaving.map((MemberId) => ({ MemberId, GroupInstanceId: null, ErrorCode: 0 })) };
      }
      case API_KEY.OffsetCommit:
        return this.#offsetCommit(body);
      case API_KEY.OffsetFetch:
        return this.#offsetFetch(body, version);
      case API_KEY.CreateTopics:
        return {
          Topics: (structsOf(body, "Topics") ?? []).map((t) => {
            const Name = stringOf(t, "Name") ?? "";
            const exists = this.#topics.has(Name);
            this.createTopic(Name);
            return {
              Name,
              ErrorCode: exists ? TOPIC_ALREADY_EXISTS : 0,
              ErrorMessage: null,
              NumPartitions: 1,
              ReplicationFactor: 1,
              Configs: [],
            };
          }),
        };
      case API_KEY.DeleteTopics:
        return {
          Responses: req.topics.map((Name) => ({ Name, ErrorCode: this.#topics.delete(Name) ? 0 : UNKNOWN_TOPIC_OR_PARTITION })),
        };
      default:
        return null;
    }
  }

  #metadata(req: DecodedRequest, body: KafkaStruct): KafkaStruct {
    const autoCreate = body["AllowAutoTopicCreation"] !== false;
    const names = req.topicScope === "all" ? [...this.#topics.keys()] : req.topics;
    const { host, port } = this.#advertised;
    return {
      Brokers: [{ NodeId: NODE_ID, Host: host, Port: port, Rack: null }],
      ClusterId: "membrane-test",
      ControllerId: NODE_ID,
      Topics: names.map((Name) => {
        if (autoCreate) this.createTopic(Name);
        const partitions = this.#topics.get(Name);
        if (partitions === undefined) return { ErrorCode: UNKNOWN_TOPIC_OR_PARTITION, Name, IsInternal: false, Partitions: [] };
        return {
          ErrorCode: 0,
          Name,
          IsInternal: false,
          Partitions: partitions.map((_, i) => ({
            ErrorCode: 0,
            PartitionIndex: i,
            LeaderId: NODE_ID,
            LeaderEpoch: 0,
            ReplicaNodes: [NODE_ID],
            IsrNodes: [NODE_ID],
          })),
        };
      }),
    };
  }

  #produce(body: KafkaStruct): KafkaStruct | null {
    const responses = (structsOf(body, "TopicData") ?? []).map((t) => {
      const Name = stringOf(t, "Name") ?? "";
      return {
        Name,
        PartitionResponses: (structsOf(t, "PartitionData") ?? []).map((p) => {
          const Index = numberOf(p, "Index");
          const log = this.#topics.get(Name)?.[Index];
          if (log === undefined) return { Index, ErrorCode: UNKNOWN_TOPIC_OR_PARTITION, BaseOffset: -1n };
          const base = log.next;
          append(log, bytesOf(p, "Records") ?? new Uint8Array(0));
          return { Index, ErrorCode: 0, BaseOffset: base, LogStartOffset: 0n };
        }),
      };
    });
    return numberOf(body, "Acks") === 0 ? null : { Responses: responses };
  }

  async #fetch(body: KafkaStruct): Promise<KafkaStruct> {
    const build = (): { response: KafkaStruct; empty: boolean } => {
      let empty = true;
      const Responses = (structsOf(body, "Topics") ?? []).map((t) => {
        const Topic = stringOf(t, "Topic") ?? "";
        return {
          Topic,
          Partitions: (structsOf(t, "Partitions") ?? []).map((p) => {
            const PartitionIndex = numberOf(p, "Partition");
            const log = this.#topics.get(Topic)?.[PartitionIndex];
            if (log === undefined)
              return { PartitionIndex, ErrorCode: UNKNOWN_TOPIC_OR_PARTITION, HighWatermark: -1n, Records: new Uint8Array(0) };
            const Records = read(log, bigintOf(p, "FetchOffset"), numberOf(p, "PartitionMaxBytes"));
            if (Records.length > 0) empty = false;
            return {
              PartitionIndex,
              ErrorCode: 0,
              HighWatermark: log.next,
              LastStableOffset: log.next,
              LogStartOffset: 0n,
              AbortedTransactions: [],
              Records,
            };
          }),
        };
      });
      return { response: { ErrorCode: 0, SessionId: 0, Responses }, empty };
    };
    const first = build();
    const wait = Math.min(numberOf(body, "MaxWaitMs"), MAX_FETCH_WAIT_MS);
    if (!first.empty || wait <= 0) return first.response;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.#timers.delete(t);
        resolve();
      }, wait);
      this.#timers.add(t);
    });
    return build().response;
  }

  #listOffsets(body: KafkaStruct, version: number): KafkaStruct {
    return {
      Topics: (structsOf(body, "Topics") ?? []).map((t) => {
        const Name = stringOf(t, "Name") ?? "";
        return {
          Name,
          Partitions: (structsOf(t, "Partitions") ?? []).map((p) => {
            const PartitionIndex = numberOf(p, "PartitionIndex");
            const log = this.#topics.get(Name)?.[PartitionIndex];
            if (log === undefined) return { PartitionIndex, ErrorCode: UNKNOWN_TOPIC_OR_PARTITION };
            // -2 asks for the earliest offset, anything else (-1: latest) for the end.
            const offset = bigintOf(p, "Timestamp") === -2n ? 0n : log.next;
            return version === 0
              ? { PartitionIndex, ErrorCode: 0, OldStyleOffsets: [offset] }
              : { PartitionIndex, ErrorCode: 0, Offset: offset };
          }),
        };
      }),
    };
  }

  #group(id: string): Group {
    let g = this.#groups.get(id);
    if (g === undefined) {
      g = { generation: 0, members: new Map(), protocol: "", assignments: new Map(), offsets: new Map() };
      this.#groups.set(id, g);
    }
    return g;
  }

  #joinGroup(body: KafkaStruct): KafkaStruct {
    const group = this.#group(stringOf(body, "GroupId") ?? "");
    const given = stringOf(body, "MemberId") ?? "";
    const memberId = given === "" ? `member-${++this.#members}` : given;
    const protocol = (structsOf(body, "Protocols") ?? [])[0];
    group.protocol = protocol === undefined ? "" : (stringOf(protocol, "Name") ?? "");
    // One member per group: whoever joins replaces the others and leads.
    group.members = new Map([
      [memberId, protocol === undefined ? new Uint8Array(0) : (bytesOf(protocol, "Metadata") ?? new Uint8Array(0))],
    ]);
    group.generation++;
    return {
      ErrorCode: 0,
      GenerationId: group.generation,
      ProtocolType: "consumer",
      ProtocolName: group.protocol,
      Leader: memberId,
      MemberId: memberId,
      Members: [...group.members].map(([MemberId, Metadata]) => ({ MemberId, GroupInstanceId: null, Metadata })),
    };
  }

  #offsetCommit(body: KafkaStruct): KafkaStruct {
    const group = this.#group(stringOf(body, "GroupId") ?? "");
    return {
      Topics: (structsOf(body, "Topics") ?? []).map((t) => {
        const Name = stringOf(t, "Name") ?? "";
        return {
          Name,
          Partitions: (structsOf(t, "Partitions") ?? []).map((p) => {
            const PartitionIndex = numberOf(p, "PartitionIndex");
            group.offsets.set(`${Name}/${PartitionIndex}`, bigintOf(p, "CommittedOffset"));
            return { PartitionIndex, ErrorCode: 0 };
          }),
        };
      }),
    };
  }

  #offsetFetch(body: KafkaStruct, version: number): KafkaStruct {
    const answer = (groupId: string, topics: readonly KafkaStruct[] | null): KafkaStruct[] => {
      const group = this.#group(groupId);
      const wanted =
        topics?.map((t) => ({ name: stringOf(t, "Name") ?? "", partitions: (valuesOf(t, "PartitionIndexes") ?? []).map(Number) })) ??
        [...group.offsets.keys()].map((k) => ({
          name: k.slice(0, k.lastIndexOf("/")),
          partitions: [Number(k.slice(k.lastIndexOf("/") + 1))],
        }));
      return wanted.map(({ name, partitions }) => ({
        Name: name,
        Partitions: partitions.map((PartitionIndex) => ({
          PartitionIndex,
          CommittedOffset: group.offsets.get(`${name}/${PartitionIndex}`) ?? -1n,
          Metadata: "",
          ErrorCode: 0,
        })),
      }));
    };
    if (version >= 8) {
      return {
        Groups: (structsOf(body, "Groups") ?? []).map((g) => ({
          GroupId: stringOf(g, "GroupId") ?? "",
          Topics: answer(stringOf(g, "GroupId") ?? "", structsOf(g, "Topics")),
          ErrorCode: 0,
        })),
      };
    }
    return { Topics: answer(stringOf(body, "GroupId") ?? "", structsOf(body, "Topics")), ErrorCode: 0 };
  }
}

/**
 * Appends a partition's records: record batches (magic 2) or message sets (magic 0/1, not
 * compressed), giving them the next offsets (the offsets are outside their CRCs).
 */
function append(log: PartitionLog, records: Uint8Array): void {
  let pos = 0;
  while (pos + 17 <= records.length) {
    const view = new DataView(records.buffer, records.byteOffset + pos);
    const total = 12 + view.getInt32(8);
    if (total < 17 || pos + total > records.length) return;
    const bytes = records.slice(pos, pos + total);
    const out = new DataView(bytes.buffer);
    const count = view.getInt8(16) === 2 ? BigInt(view.getInt32(23)) + 1n : 1n;
    out.setBigInt64(0, log.next);
    log.entries.push({ base: log.next, last: log.next + count - 1n, bytes });
    log.next += count;
    pos += total;
  }
}

/** The stored batches holding `offset` and after, up to `maxBytes` (at least one batch). */
function read(log: PartitionLog, offset: bigint, maxBytes: number): Uint8Array {
  const picked: Uint8Array[] = [];
  let size = 0;
  for (const e of log.entries) {
    if (e.last < offset) continue;
    if (picked.length > 0 && size + e.bytes.length > maxBytes) break;
    picked.push(e.bytes);
    size += e.bytes.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of picked) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
