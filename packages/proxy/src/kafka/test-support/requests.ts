import { encodeRequest } from "../request.ts";
import { arr, str } from "./bytes.ts";

/** Requests as kafkajs would send them (its versions), for byte-level tests. */

const CLIENT = "raw-client";

/** Metadata v6 for `topics` (null: every topic). */
export const metadata = (correlationId: number, topics: readonly string[] | null): Uint8Array =>
  encodeRequest(
    { apiKey: 3, apiVersion: 6, correlationId, clientId: CLIENT },
    { Topics: topics === null ? null : topics.map((Name) => ({ Name })), AllowAutoTopicCreation: true },
  );

/** ApiVersions v2. */
export const apiVersions = (correlationId: number, clientId: string = CLIENT): Uint8Array =>
  encodeRequest({ apiKey: 18, apiVersion: 2, correlationId, clientId }, {});

/** Produce v7 of `records` to partition 0 of `topic`. */
export const produce = (correlationId: number, topic: string, acks = -1, records: Uint8Array = Uint8Array.of(1, 2, 3)): Uint8Array =>
  encodeRequest(
    { apiKey: 0, apiVersion: 7, correlationId, clientId: CLIENT },
    { TransactionalId: null, Acks: acks, TimeoutMs: 1000, TopicData: [{ Name: topic, PartitionData: [{ Index: 0, Records: records }] }] },
  );

/** Fetch v11 of partition 0 of `topic`. */
export const fetch = (correlationId: number, topic: string): Uint8Array =>
  encodeRequest(
    { apiKey: 1, apiVersion: 11, correlationId, clientId: CLIENT },
    {
      MaxWaitMs: 100,
      MinBytes: 1,
      Topics: [{ Topic: topic, Partitions: [{ Partition: 0, FetchOffset: 0n, PartitionMaxBytes: 1024 }] }],
      ForgottenTopicsData: [],
    },
  );

/** DescribeGroups v0: an API the proxy does not read. */
export const describeGroups = (correlationId: number): Uint8Array =>
  encodeRequest({ apiKey: 15, apiVersion: 0, correlationId, clientId: CLIENT }, { raw: Uint8Array.from(arr([str("g")])) });
