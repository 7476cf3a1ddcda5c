import { API_KEY } from "./messages.ts";
import { encodeRequest } from "./request.ts";

/**
 * Requests as kafkajs sends them (its versions): for byte-level tests, and for the lab's clients,
 * which make one request of a case's API key naming its topic.
 */

const CLIENT = "raw-client";

/** Metadata v6 for `topics` (null: every topic). */
export const metadata = (correlationId: number, topics: readonly string[] | null, clientId = CLIENT): Uint8Array =>
  encodeRequest(
    { apiKey: 3, apiVersion: 6, correlationId, clientId },
    { Topics: topics === null ? null : topics.map((Name) => ({ Name })), AllowAutoTopicCreation: true },
  );

/** ApiVersions v2. */
export const apiVersions = (correlationId: number, clientId: string = CLIENT): Uint8Array =>
  encodeRequest({ apiKey: 18, apiVersion: 2, correlationId, clientId }, {});

/** Produce v7 of `records` to partition 0 of `topic`. */
export const produce = (
  correlationId: number,
  topic: string,
  acks = -1,
  records: Uint8Array = Uint8Array.of(1, 2, 3),
  clientId = CLIENT,
): Uint8Array =>
  encodeRequest(
    { apiKey: 0, apiVersion: 7, correlationId, clientId },
    { TransactionalId: null, Acks: acks, TimeoutMs: 1000, TopicData: [{ Name: topic, PartitionData: [{ Index: 0, Records: records }] }] },
  );

/** Fetch v11 of partition 0 of `topic`. */
export const fetch = (correlationId: number, topic: string, clientId = CLIENT): Uint8Array =>
  encodeRequest(
    { apiKey: 1, apiVersion: 11, correlationId, clientId },
    {
      MaxWaitMs: 100,
      MinBytes: 1,
      Topics: [{ Topic: topic, Partitions: [{ Partition: 0, FetchOffset: 0n, PartitionMaxBytes: 1024 }] }],
      ForgottenTopicsData: [],
    },
  );

/** The version of each API key {@link sampleRequest} writes. */
export const SAMPLE_VERSIONS: ReadonlyMap<number, number> = new Map([
  [API_KEY.Produce, 7],
  [API_KEY.Fetch, 11],
  [API_KEY.Metadata, 6],
]);

/** One request of `apiKey` naming `topic` (Produce, Fetch or Metadata); null for other keys. */
export function sampleRequest(apiKey: number, topic: string, clientId: string | null, correlationId = 1): Uint8Array | null {
  const client = clientId ?? CLIENT;
  switch (apiKey) {
    case API_KEY.Produce:
      return produce(correlationId, topic, -1, Uint8Array.of(1, 2, 3), client);
    case API_KEY.Fetch:
      return fetch(correlationId, topic, client);
    case API_KEY.Metadata:
      return metadata(correlationId, [topic], client);
    default:
      return null;
  }
}
