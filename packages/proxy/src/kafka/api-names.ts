import { KAFKA_API_KEYS } from "@membrane/engine";

/** Kafka error codes the proxy writes (https://kafka.apache.org/protocol#protocol_error_codes). */
export const KAFKA_ERROR = {
  NONE: 0,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  TOPIC_AUTHORIZATION_FAILED: 29,
} as const;

const NAMES: ReadonlyMap<number, string> = new Map([...KAFKA_API_KEYS].map(([name, key]) => [key, name]));

/**
 * The name of an API key as Cilium's policy and Hubble's Kafka records write it (`produce`,
 * `fetch`, `offsets`, …); keys without a name are written as their number.
 */
export function apiKeyName(apiKey: number): string {
  return NAMES.get(apiKey) ?? String(apiKey);
}
