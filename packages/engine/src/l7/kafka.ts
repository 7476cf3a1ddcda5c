import type { KafkaRule } from "../policy-api/types.ts";

/**
 * Kafka request matching (cilium/proxy proxylib/kafka, `policy-semantics.md` §8.2): a request is
 * allowed when rules allow it; for request types that carry topics, each topic must be allowed by
 * some rule (different rules may cover different topics).
 */

/** The parts of a Kafka request the rules look at. */
export interface KafkaRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly clientID: string;
  readonly topics: readonly string[];
}

/** Request types whose topics are checked (Produce, Fetch, ListOffsets, Metadata, …). */
export const TOPIC_API_KEYS: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 6, 8, 9, 19, 20, 21, 23, 24, 27, 28, 34, 35, 37]);

function baseMatch(r: KafkaRule, req: KafkaRequest): boolean {
  if (r.apiKeys.length > 0 && !r.apiKeys.includes(req.apiKey)) return false;
  if (r.apiVersion !== null && r.apiVersion !== req.apiVersion) return false;
  if (r.clientID !== null && r.clientID !== req.clientID) return false;
  return true;
}

/** Whether the rules allow the request. */
export function kafkaAllows(rules: readonly KafkaRule[], req: KafkaRequest): boolean {
  const candidates = rules.filter((r) => baseMatch(r, req));
  if (candidates.length === 0) return false;
  if (!TOPIC_API_KEYS.has(req.apiKey)) return true;
  // A topic-carrying request with no topics (e.g. Metadata for all topics) needs a rule without a topic.
  if (req.topics.length === 0) return candidates.some((r) => r.topic === null);
  return req.topics.every((t) => candidates.some((r) => r.topic === null || r.topic === t));
}
