import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { loadManifests } from "../manifest/load-manifests.ts";
import { fromPlain } from "../source/from-plain.ts";
import { translatePolicy } from "../translate/translate.ts";
import { VALIDATION_CASES } from "./validation-table.ts";

/**
 * Property: whatever the document, validation never throws, and its answer is either a valid
 * policy (which translation accepts) or at least one error, every problem with a path and a
 * position. CI runs a bounded number of documents; `npm run fuzz` sets FUZZ_RUNS=1000000.
 */
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 3000);

// Field names of the API, so random trees reach deep into the validator rather than stopping at
// "unknown field".
const FIELDS = [
  "apiVersion",
  "kind",
  "metadata",
  "name",
  "namespace",
  "spec",
  "specs",
  "endpointSelector",
  "nodeSelector",
  "podSelector",
  "ingress",
  "ingressDeny",
  "egress",
  "egressDeny",
  "fromEndpoints",
  "toEndpoints",
  "fromCIDR",
  "toCIDR",
  "fromCIDRSet",
  "toCIDRSet",
  "cidr",
  "except",
  "fromEntities",
  "toEntities",
  "toServices",
  "toFQDNs",
  "matchName",
  "matchPattern",
  "toPorts",
  "ports",
  "port",
  "endPort",
  "protocol",
  "rules",
  "http",
  "kafka",
  "dns",
  "l7proto",
  "l7",
  "method",
  "path",
  "headers",
  "headerMatches",
  "mismatch",
  "icmps",
  "fields",
  "type",
  "family",
  "matchLabels",
  "matchExpressions",
  "key",
  "operator",
  "values",
  "from",
  "to",
  "ipBlock",
  "namespaceSelector",
  "policyTypes",
  "enableDefaultDeny",
  "serverNames",
  "labels",
  "log",
  "value",
  "fromRequires",
  "fromNodes",
  "items",
  "apiKey",
  "role",
  "topic",
  "authentication",
  "mode",
];
const SCALARS = [
  "TCP",
  "UDP",
  "ANY",
  "ICMP",
  "80",
  "0",
  "010",
  "0x50",
  "http",
  "65536",
  "10.0.0.0/8",
  "10.1.0.0/16",
  "::/0",
  "1.2.3.4",
  "world",
  "cluster",
  "all",
  "GET",
  "/a(",
  "*.example.com",
  "In",
  "Exists",
  "Ingress",
  "Egress",
  "cilium.io/v2",
  "networking.k8s.io/v1",
  "CiliumNetworkPolicy",
  "CiliumClusterwideNetworkPolicy",
  "NetworkPolicy",
  "List",
  "",
  "x",
];
const KINDS = ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy", "List", "Pod", "Other"];

const scalar = fc.oneof(fc.constantFrom(...SCALARS), fc.string(), fc.integer({ min: -5, max: 70000 }), fc.boolean(), fc.constant(null));
const tree = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("node"), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 6 })), tie("node"), { maxKeys: 4 }),
  ),
})).node;

const randomPolicy = fc.record({
  apiVersion: fc.constantFrom("cilium.io/v2", "networking.k8s.io/v1", "v1"),
  kind: fc.constantFrom(...KINDS),
  metadata: fc.oneof(fc.constant({ name: "p", namespace: "ns" }), tree),
  spec: tree,
  items: fc.option(fc.array(tree, { maxLength: 2 }), { nil: undefined }),
});

/** Replaces one randomly chosen node of `doc` (by pre-order index) with `replacement`, or deletes it. */
function mutate(doc: unknown, target: number, replacement: unknown, remove: boolean): unknown {
  let i = 0;
  const walk = (v: unknown): unknown => {
    const here = i++;
    if (here === target) return remove ? undefined : replacement;
    if (Array.isArray(v)) return v.map(walk).filter((x) => x !== undefined || !remove);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const w = walk(x);
        if (w !== undefined) out[k] = w;
      }
      return out;
    }
    return v;
  };
  return walk(doc);
}

const mutatedCase = fc
  .record({ c: fc.constantFrom(...VALIDATION_CASES), target: fc.nat({ max: 60 }), replacement: tree, remove: fc.boolean() })
  .map(({ c, target, replacement, remove }) => mutate(c.doc, target, replacement, remove));

function checkDocument(doc: unknown): void {
  const result = loadManifests([{ file: "f.yaml", index: 0, pos: { line: 1, column: 1, offset: 0 }, root: fromPlain(doc) }]);
  for (const p of result.problems) {
    assert.equal(typeof p.path, "string");
    assert.ok(p.line >= 1 && p.column >= 1, "every problem has a position");
    assert.ok(p.message.length > 0);
  }
  const errors = result.problems.filter((p) => p.severity === "error").length;
  const objects = result.policies.length + result.objects.length;
  const emptyList = typeof doc === "object" && doc !== null && "items" in doc && Array.isArray(doc.items) && doc.items.length === 0;
  assert.ok(errors > 0 || objects > 0 || result.problems.length > 0 || emptyList, "a document yields a policy, an object, or a problem");
  for (const policy of result.policies) translatePolicy(policy);
}

test("property: random documents never throw and always yield a verdict with paths", () => {
  fc.assert(fc.property(randomPolicy, checkDocument), { numRuns: RUNS });
});

test("property: mutated valid and invalid cases never throw", () => {
  fc.assert(fc.property(mutatedCase, checkDocument), { numRuns: RUNS });
});
