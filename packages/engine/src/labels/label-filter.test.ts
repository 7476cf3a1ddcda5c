import assert from "node:assert/strict";
import { test } from "node:test";
import { isIdentityRelevant } from "./label-filter.ts";

const k8s = (key: string) => ({ source: "k8s", key, value: "x" });

test("§5.2 default label filter: accept/reject table", () => {
  const table: [string, boolean][] = [
    ["app", true],
    ["io.kubernetes.pod.namespace", true],
    ["io.kubernetes.pod.name", false],
    ["io.cilium.k8s.namespace.labels.team", true],
    ["io.cilium.k8s.policy.cluster", true],
    ["io.cilium.k8s.policy.serviceaccount", true],
    ["app.kubernetes.io/name", true],
    ["kubernetes.io/hostname", false],
    ["statefulset.kubernetes.io/pod-name", false],
    ["controller-revision-hash", false],
    ["pod-template-hash", false],
    ["annotation.foo", false],
    ["failure-domain.beta.kubernetes.io/zone", false],
    ["k8s.io/foo", false],
  ];
  for (const [key, keep] of table) assert.equal(isIdentityRelevant(k8s(key)), keep, key);
  assert.equal(isIdentityRelevant({ source: "reserved", key: "host", value: "" }), true);
});
