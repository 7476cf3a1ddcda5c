import assert from "node:assert/strict";
import { test } from "node:test";
import { loadManifests } from "../manifest/load-manifests.ts";
import { fromPlain } from "../source/from-plain.ts";
import type { Peer, RuleEntry, Selector } from "./rule-form.ts";
import { DEFAULT_TRANSLATION_OPTIONS } from "./rule-form.ts";
import { translatePolicy } from "./translate.ts";
import { ccnp, cnp, np } from "../policy-api/validation-table.ts";

/** Parses one plain document and translates it. */
function entries(doc: unknown, options = DEFAULT_TRANSLATION_OPTIONS): RuleEntry[] {
  const m = loadManifests([{ file: "t.yaml", index: 0, pos: { line: 1, column: 1, offset: 0 }, root: fromPlain(doc) }]);
  assert.deepEqual(
    m.problems.filter((p) => p.severity === "error"),
    [],
  );
  return m.policies.flatMap((p) => translatePolicy(p, options));
}

function show(s: Selector): string {
  return s.requirements
    .map(
      (r) =>
        `${r.key.source}:${r.key.key}${r.operator === "In" ? `=${r.values.join("|")}` : r.operator === "Exists" ? "" : ` ${r.operator} ${r.values.join("|")}`}`,
    )
    .sort()
    .join(",");
}

function peers(e: RuleEntry): string[] {
  return e.peers.map((p: Peer) =>
    p.kind === "selector" || p.kind === "nodes"
      ? `${p.kind}(${show(p.selector)})`
      : p.kind === "cidr"
        ? `cidr(${p.cidr}${p.except.length ? ` except ${p.except.join(" ")}` : ""})`
        : p.kind === "entity"
          ? `entity(${p.entity})`
          : p.kind,
  );
}

const CLUSTER = "k8s:io.cilium.k8s.policy.cluster=default";

test("E2: a CNP subject is pinned to its namespace, replacing a namespace the user wrote", () => {
  const [e] = entries(cnp({ endpointSelector: { matchLabels: { "k8s:io.kubernetes.pod.namespace": "other", app: "a" } }, ingress: [{}] }));
  assert.equal(show(e!.subject.selector), "any:app=a,k8s:io.kubernetes.pod.namespace=ns");
});

test("E3: CNP fromEndpoints [{}] means the policy's namespace in the local cluster", () => {
  const [e] = entries(cnp({ endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }] }));
  assert.deepEqual(peers(e!), [`selector(${CLUSTER},k8s:io.kubernetes.pod.namespace=ns)`]);
});

test("E4: CCNP fromEndpoints [{}] means every pod namespace, and the CCNP subject is as written", () => {
  const [e] = entries(ccnp({ endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }] }));
  assert.equal(show(e!.subject.selector), "");
  assert.deepEqual(peers(e!), [`selector(${CLUSTER},k8s:io.kubernetes.pod.namespace)`]);
});

test("CCNP: no namespace requirement when the subject selects reserved:init", () => {
  const [e] = entries(
    ccnp({ endpointSelector: { matchLabels: { "reserved:init": "" } }, ingress: [{ fromEndpoints: [{ matchLabels: { app: "x" } }] }] }),
  );
  assert.deepEqual(peers(e!), [`selector(any:app=x,${CLUSTER})`]);
});

test("§4.2 step 1: reserved selectors get no namespace and no cluster", () => {
  const [e] = entries(cnp({ endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { "reserved:host": "" } }] }] }));
  assert.deepEqual(peers(e!), ["selector(reserved:host=)"]);
});

test("E42: a CNP selecting namespace labels is not pinned to the policy's namespace", () => {
  const [e] = entries(
    cnp({ endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { "io.cilium.k8s.namespace.labels.team": "a" } }] }] }),
  );
  assert.deepEqual(peers(e!), [`selector(any:io.cilium.k8s.namespace.labels.team=a,${CLUSTER})`]);
});

test("a selector naming a cluster keeps it; policyDefaultLocalCluster off adds none", () => {
  const [e] = entries(
    cnp({ endpointSelector: {}, ingress: [{ fromEndpoints: [{ matchLabels: { "io.cilium.k8s.policy.cluster": "east" } }] }] }),
  );
  assert.deepEqual(peers(e!), ["selector(any:io.cilium.k8s.policy.cluster=east,k8s:io.kubernetes.pod.namespace=ns)"]);
  const [f] = entries(cnp({ endpointSelector: {}, ingress: [{ fromEndpoints: [{}] }] }), {
    ...DEFAULT_TRANSLATION_OPTIONS,
    policyDefaultLocalCluster: false,
  });
  assert.deepEqual(peers(f!), ["selector(k8s:io.kubernetes.pod.namespace=ns)"]);
});

test("E6/E28/§6.1: no peer field and no ports allows nothing; with ports, any peer; an empty list, no peer", () => {
  const [a, b, c] = entries(
    cnp({
      endpointSelector: {},
      ingress: [{}, { toPorts: [{ ports: [{ port: "80" }] }] }, { fromEndpoints: [], toPorts: [{ ports: [{ port: "80" }] }] }],
    }),
  );
  assert.deepEqual([peers(a!), a!.ports], [[], "all"]);
  assert.deepEqual(peers(b!), ["any"]);
  assert.deepEqual(peers(c!), []);
});

test("§6.2: enableDefaultDeny defaults to on for each direction a rule has", () => {
  const es = entries(
    cnp({
      endpointSelector: {},
      ingressDeny: [{ fromEntities: ["world"] }],
      egress: [{ toEntities: ["all"] }],
      enableDefaultDeny: { egress: false },
    }),
  );
  assert.deepEqual(
    es.map((e) => [e.direction, e.deny, e.defaultDeny]),
    [
      ["ingress", true, true],
      ["egress", false, false],
    ],
  );
});

test("icmps become ICMP ports keyed by type; toPorts keep ANY", () => {
  const [a, b] = entries(
    cnp({
      endpointSelector: {},
      ingress: [
        { icmps: [{ fields: [{ type: "EchoRequest" }, { family: "IPv6", type: "EchoRequest" }] }] },
        { toPorts: [{ ports: [{ port: "0" }] }] },
      ],
    }),
  );
  assert.deepEqual(a!.ports !== "all" && a!.ports[0]!.ports, [
    { port: { kind: "number", port: 8 }, endPort: null, protocol: "ICMP" },
    { port: { kind: "number", port: 128 }, endPort: null, protocol: "ICMPv6" },
  ]);
  assert.deepEqual(b!.ports !== "all" && b!.ports[0]!.ports, [{ port: { kind: "number", port: 0 }, endPort: null, protocol: "ANY" }]);
});

test("fromNodes requires remote-node and the local cluster", () => {
  const m = loadManifests(
    [
      {
        file: "t",
        index: 0,
        pos: { line: 1, column: 1, offset: 0 },
        root: fromPlain(cnp({ endpointSelector: {}, ingress: [{ fromNodes: [{ matchLabels: { zone: "a" } }] }] })),
      },
    ],
    {
      enableIcmpRules: true,
      enableL7Proxy: true,
      enableNodeSelectorLabels: true,
      enableExtendedIpProtocols: false,
    },
  );
  const [e] = translatePolicy(m.policies[0]!);
  assert.deepEqual(peers(e!), [`nodes(any:zone=a,${CLUSTER},reserved:remote-node)`]);
});

test("derived-from labels name kind, name, namespace and uid, then the rule's labels", () => {
  const [e] = entries(cnp({ endpointSelector: {}, ingress: [{}], labels: [{ key: "team", value: "a" }] }));
  assert.deepEqual(e!.origin.labels, [
    "k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy",
    "k8s:io.cilium.k8s.policy.name=p",
    "k8s:io.cilium.k8s.policy.namespace=ns",
    "k8s:io.cilium.k8s.policy.uid=",
    "unspec:team=a",
  ]);
  assert.deepEqual(e!.origin.path, ["spec", "ingress", 0]);
});

test("§3 example: namespaceSelector + podSelector, and ipBlock with except", () => {
  const [e] = entries(
    np({
      podSelector: { matchLabels: { app: "db" } },
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { role: "api" } } },
            { ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } },
          ],
          ports: [{ port: 5432 }],
        },
      ],
    }),
  );
  assert.equal(show(e!.subject.selector), "k8s:app=db,k8s:io.kubernetes.pod.namespace=ns");
  assert.deepEqual(peers(e!), [
    `selector(k8s:io.cilium.k8s.namespace.labels.team=a,${CLUSTER},k8s:role=api)`,
    "cidr(10.0.0.0/8 except 10.1.0.0/16)",
  ]);
  assert.deepEqual(e!.ports !== "all" && e!.ports[0]!.ports, [{ port: { kind: "number", port: 5432 }, endPort: null, protocol: "TCP" }]);
});

test("E7: NP ingress [{}] admits every identity on every protocol", () => {
  const [e] = entries(np({ podSelector: {}, ingress: [{}] }));
  assert.deepEqual([peers(e!), e!.ports], [["any"], "all"]);
});

test("E8: NP policyTypes [Ingress] without ingress: a peerless ingress entry only", () => {
  const es = entries(np({ podSelector: {}, policyTypes: ["Ingress"] }));
  assert.deepEqual(
    es.map((e) => [e.direction, peers(e), e.defaultDeny]),
    [["ingress", [], true]],
  );
});

test("E9: NP without policyTypes and only egress rules also denies ingress", () => {
  const es = entries(np({ podSelector: {}, egress: [{ to: [{ podSelector: {} }] }] }));
  assert.deepEqual(
    es.map((e) => [e.direction, peers(e).length]),
    [
      ["egress", 1],
      ["ingress", 0],
    ],
  );
});

test("E10: NP policyTypes [Ingress] still applies its egress rules", () => {
  const es = entries(np({ podSelector: {}, policyTypes: ["Ingress"], egress: [{ to: [{ podSelector: {} }] }] }));
  assert.deepEqual(es.map((e) => e.direction).sort(), ["egress", "ingress"]);
});

test("E11: NP namespaceSelector {} means any pod namespace", () => {
  const [e] = entries(np({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }));
  assert.deepEqual(peers(e!), [`selector(${CLUSTER},k8s:io.kubernetes.pod.namespace)`]);
});

test("E13: an NP port without protocol is TCP; a missing port is port 0", () => {
  const [e] = entries(np({ podSelector: {}, egress: [{ ports: [{ protocol: "UDP" }, { port: 53 }] }] }));
  assert.deepEqual(e!.ports !== "all" && e!.ports.map((p) => p.ports[0]), [
    { port: { kind: "number", port: 0 }, endPort: null, protocol: "UDP" },
    { port: { kind: "number", port: 53 }, endPort: null, protocol: "TCP" },
  ]);
});

test("E51: the ingress ipBlock quirk is off by default and reproducible on request", () => {
  const doc = np({
    podSelector: {},
    ingress: [{ from: [{ ipBlock: { cidr: "192.0.2.0/24" } }] }],
    egress: [{ to: [{ ipBlock: { cidr: "192.0.2.0/24" } }] }],
  });
  assert.deepEqual(entries(doc).map(peers), [["cidr(192.0.2.0/24)"], ["cidr(192.0.2.0/24)"]]);
  const quirk = entries(doc, { ...DEFAULT_TRANSLATION_OPTIONS, ipBlockIngressQuirk: true });
  assert.deepEqual(quirk.map(peers), [
    ["cidr(192.0.2.0/24)", `selector(${CLUSTER},k8s:io.kubernetes.pod.namespace=ns)`],
    ["cidr(192.0.2.0/24)"],
  ]);
});

test("NP name annotation overrides the derived-from name", () => {
  const doc = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "n", namespace: "ns", annotations: { "policy.cilium.io/name": "nice" } },
    spec: { podSelector: {}, ingress: [{}] },
  };
  assert.ok(entries(doc)[0]!.origin.labels.includes("k8s:io.cilium.k8s.policy.name=nice"));
});
