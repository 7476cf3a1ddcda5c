import { kafkaAllows, type KafkaRequest, type L7Policy } from "@membrane/engine";
import { denialReason } from "../common/denial.ts";

/** What the proxy does with one Kafka request. */
export type KafkaVerdict = { readonly kind: "allow" } | { readonly kind: "deny"; readonly reason: string };

/**
 * Decides a request under a connection's L7 policy (`policy-semantics.md` §8.2): `allow-all`
 * allows, `kafka` applies its rules, and every other kind denies (fail closed: it is not a Kafka
 * policy, or not one Cilium would program).
 */
export function decideKafka(policy: L7Policy, request: KafkaRequest): KafkaVerdict {
  switch (policy.kind) {
    case "allow-all":
      return { kind: "allow" };
    case "kafka":
      return kafkaAllows(policy.rules, request) ? { kind: "allow" } : { kind: "deny", reason: "no Kafka rule allows the request" };
    default:
      return { kind: "deny", reason: denialReason(policy, "Kafka") };
  }
}
