import assert from "node:assert/strict";
import { test } from "node:test";
import { LabelSet } from "../labels/label-set.ts";
import { matchesAll } from "./match.ts";
import type { Requirement } from "./label-selector.ts";

const labels = LabelSet.of([
  { source: "k8s", key: "app", value: "web" },
  { source: "k8s", key: "tier", value: "front" },
  { source: "cidr", key: "10.1.0.0/16", value: "" },
  { source: "reserved", key: "world", value: "" },
]);
const req = (source: string, key: string, operator: Requirement["operator"], values: string[] = []): Requirement => ({
  key: { source, key },
  operator,
  values,
});

test("selector matching: accept/reject table", () => {
  const table: [Requirement, boolean][] = [
    [req("any", "app", "In", ["web"]), true],
    [req("k8s", "app", "In", ["web", "api"]), true],
    [req("reserved", "app", "In", ["web"]), false],
    [req("any", "app", "NotIn", ["api"]), true],
    [req("any", "app", "NotIn", ["web"]), false],
    [req("any", "missing", "NotIn", ["web"]), true],
    [req("any", "tier", "Exists"), true],
    [req("any", "missing", "Exists"), false],
    [req("any", "missing", "DoesNotExist"), true],
    [req("k8s", "tier", "DoesNotExist"), false],
    [req("reserved", "world", "Exists"), true],
    [req("cidr", "10.0.0.0/8", "Exists"), true],
    [req("cidr", "10.1.0.0/16", "Exists"), true],
    [req("cidr", "10.1.2.0/24", "Exists"), false],
    [req("cidr", "11.0.0.0/8", "Exists"), false],
  ];
  for (const [r, want] of table) assert.equal(matchesAll([r], labels), want, JSON.stringify(r));
  assert.equal(matchesAll([], labels), true, "the empty selector matches everything");
});
