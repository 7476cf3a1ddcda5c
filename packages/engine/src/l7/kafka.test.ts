import assert from "node:assert/strict";
import { test } from "node:test";
import type { KafkaRule } from "../policy-api/types.ts";
import { KAFKA_ROLES } from "../policy-api/vocabulary.ts";
import { kafkaAllows } from "./kafka.ts";

const pos = { line: 1, column: 1, offset: 0 };
const rule = (r: Partial<KafkaRule>): KafkaRule => ({
  role: null,
  apiKey: null,
  apiKeys: [],
  apiVersion: null,
  clientID: null,
  topic: null,
  pos,
  ...r,
});
const req = (apiKey: number, topics: string[], clientID = "c", apiVersion = 3) => ({ apiKey, apiVersion, clientID, topics });

test("§8.2: apiKey/role, topic, clientID and apiVersion; every topic must be allowed by some rule", () => {
  const produce = rule({ role: "produce", apiKeys: KAFKA_ROLES.get("produce")!, topic: "payments" });
  assert.equal(kafkaAllows([produce], req(0, ["payments"])), true);
  assert.equal(kafkaAllows([produce], req(0, ["orders"])), false);
  assert.equal(kafkaAllows([produce], req(1, ["payments"])), false, "fetch is not part of produce");
  assert.equal(kafkaAllows([produce], req(18, [])), true, "ApiVersions carries no topic");
  const two = [rule({ apiKeys: [1], topic: "a" }), rule({ apiKeys: [1], topic: "b" })];
  assert.equal(kafkaAllows(two, req(1, ["a", "b"])), true, "different rules may cover different topics");
  assert.equal(kafkaAllows(two, req(1, ["a", "c"])), false);
  assert.equal(kafkaAllows([rule({ clientID: "x" })], req(0, ["t"], "y")), false);
  assert.equal(kafkaAllows([rule({ apiVersion: 2 })], req(0, ["t"], "c", 3)), false);
  assert.equal(kafkaAllows([rule({})], req(3, [])), true, "no restriction allows all");
});
