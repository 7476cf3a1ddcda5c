import assert from "node:assert/strict";
import { test } from "node:test";
import { asIdentity, RESERVED } from "../identity/numeric-identity.ts";
import { LabelSet } from "../labels/label-set.ts";
import { NamedPortIndex } from "../policy/named-ports.ts";
import { DEFAULT_RESOLVE_OPTIONS, resolveEndpoint } from "../policy/resolve.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import { fromPlain } from "../source/from-plain.ts";
import { DEFAULT_TRANSLATION_OPTIONS } from "../translate/rule-form.ts";
import { runTests } from "../scenario/run-tests.ts";
import { decide } from "../verdict/decide.ts";
import type { FlowPeerRef, FlowProtocol } from "../verdict/flow.ts";
import { Engine } from "./engine.ts";
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from "./options.ts";

const node = (name: string, ip: string, cidr: string, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels },
  spec: { podCIDR: cidr },
  status: { addresses: [{ type: "InternalIP", address: ip }] },
});
const pod = (ns: string, name: string, labels: Record<string, string>, ip: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns, labels },
  spec: { nodeName: "n1", containers: [{ name: "c", ports: [{ name: "http", containerPort: 8080 }] }], ...extra },
  status: { podIP: ip },
});
const CLUSTER = [
  node("n1", "172.18.0.2", "10.244.1.0/24", { role: "worker" }),
  pod("ns", "a", { app: "a" }, "10.244.1.10"),
  pod("ns", "b", { app: "b" }, "10.244.1.11"),
  pod("ns", "c", { app: "c" }, "10.244.1.12"),
];

function engineOf(docs: unknown[], options: EngineOptions = DEFAULT_ENGINE_OPTIONS): Engine {
  const s = loadScenario(docs.map((d, i) => ({ file: "t.yaml", index: i, pos: { line: 1, column: 1, offset: 0 }, root: fromPlain(d) })));
  assert.deepEqual(
    s.problems.filter((p) => p.severity === "error"),
    [],
  );
  return new Engine(s.cluster, s.policies, options);
}

function verdict(e: Engine, from: string, to: string, port: number, protocol: FlowProtocol = "TCP"): string {
  const ref = (t: string): FlowPeerRef =>
    t.startsWith("node:")
      ? { kind: "node", name: t.slice(5) }
      : t.includes("/")
        ? { kind: "pod", namespace: t.split("/")[0]!, name: t.split("/")[1]! }
        : { kind: "ip", ip: t };
  const r = decide(e, { from: ref(from), to: ref(to), port, protocol });
  assert.ok(r.ok);
  return r.value.verdict;
}

const cnp = (name: string, spec: unknown) => ({
  apiVersion: "cilium.io/v2",
  kind: "CiliumNetworkPolicy",
  metadata: { name, namespace: "ns" },
  spec,
});

test("E45: enable-policy=always puts every endpoint into default deny; localhost still allowed", () => {
  const e = engineOf(CLUSTER, { ...DEFAULT_ENGINE_OPTIONS, resolve: { ...DEFAULT_RESOLVE_OPTIONS, enforcementMode: "always" } });
  assert.equal(verdict(e, "ns/a", "ns/b", 80), "deny");
  assert.equal(verdict(e, "node:n1", "ns/b", 80), "allow");
});

test("enable-policy=never: nothing is enforced, whatever the policies", () => {
  const docs = [...CLUSTER, cnp("lock", { endpointSelector: {}, ingress: [{}] })];
  assert.equal(verdict(engineOf(docs), "ns/a", "ns/b", 80), "deny");
  const never = engineOf(docs, { ...DEFAULT_ENGINE_OPTIONS, resolve: { ...DEFAULT_RESOLVE_OPTIONS, enforcementMode: "never" } });
  assert.equal(verdict(never, "ns/a", "ns/b", 80), "allow");
});

test("§6.6: fromRequires is ANDed into every fromEndpoints of the subject's ingress rules (1.18)", () => {
  const docs = [
    ...CLUSTER,
    pod("ns", "a2", { app: "a", env: "prod" }, "10.244.1.20"),
    cnp("allow-app-a", { endpointSelector: { matchLabels: { app: "c" } }, ingress: [{ fromEndpoints: [{ matchLabels: { app: "a" } }] }] }),
    cnp("require-prod", {
      endpointSelector: { matchLabels: { app: "c" } },
      ingress: [{ fromRequires: [{ matchLabels: { env: "prod" } }] }],
    }),
  ];
  const e = engineOf(docs);
  assert.equal(verdict(e, "ns/a2", "ns/c", 80), "allow");
  assert.equal(verdict(e, "ns/a", "ns/c", 80), "deny", "app=a without env=prod no longer matches");
});

test("host policies (CCNP nodeSelector) are enforced only with the host firewall", () => {
  const docs = [
    ...CLUSTER,
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: { name: "host" },
      spec: { nodeSelector: { matchLabels: { role: "worker" } }, egress: [{ toEndpoints: [{ matchLabels: { app: "a" } }] }] },
    },
  ];
  assert.equal(verdict(engineOf(docs), "node:n1", "ns/b", 80), "allow");
  const fw = engineOf(docs, { ...DEFAULT_ENGINE_OPTIONS, resolve: { ...DEFAULT_RESOLVE_OPTIONS, hostFirewall: true } });
  assert.equal(verdict(fw, "node:n1", "ns/b", 80), "deny");
  assert.equal(verdict(fw, "node:n1", "ns/a", 80), "allow");
});

test("--semantics kubernetes: an ipBlock also matches pod addresses; cilium: it does not", () => {
  const docs = [
    ...CLUSTER,
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "blk", namespace: "ns" },
      spec: {
        podSelector: { matchLabels: { app: "c" } },
        ingress: [{ from: [{ ipBlock: { cidr: "10.244.1.0/24", except: ["10.244.1.11/32"] } }] }],
      },
    },
  ];
  assert.equal(verdict(engineOf(docs), "ns/a", "ns/c", 80), "deny");
  const k8s = engineOf(docs, { ...DEFAULT_ENGINE_OPTIONS, semantics: "kubernetes" });
  assert.equal(verdict(k8s, "ns/a", "ns/c", 80), "allow");
  assert.equal(verdict(k8s, "ns/b", "ns/c", 80), "deny", "the except still applies");
});

test("--semantics kubernetes: policyTypes [Ingress] ignores the policy's egress rules (E10 upstream)", () => {
  const docs = [
    ...CLUSTER,
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "t", namespace: "ns" },
      spec: {
        podSelector: { matchLabels: { app: "a" } },
        policyTypes: ["Ingress"],
        egress: [{ to: [{ podSelector: { matchLabels: { app: "b" } } }] }],
      },
    },
  ];
  assert.equal(verdict(engineOf(docs), "ns/a", "ns/c", 80), "deny");
  assert.equal(verdict(engineOf(docs, { ...DEFAULT_ENGINE_OPTIONS, semantics: "kubernetes" }), "ns/a", "ns/c", 80), "allow");
});

test("E51 quirk on request: an ipBlock-only ingress peer also admits the policy's namespace", () => {
  const docs = [
    ...CLUSTER,
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "q", namespace: "ns" },
      spec: { podSelector: { matchLabels: { app: "c" } }, ingress: [{ from: [{ ipBlock: { cidr: "192.0.2.0/24" } }] }] },
    },
  ];
  assert.equal(verdict(engineOf(docs), "ns/a", "ns/c", 80), "deny");
  const quirk = engineOf(docs, { ...DEFAULT_ENGINE_OPTIONS, translation: { ...DEFAULT_TRANSLATION_OPTIONS, ipBlockIngressQuirk: true } });
  assert.equal(verdict(quirk, "ns/a", "ns/c", 80), "allow");
});

test("a pod reaching itself is never subject to policy", () => {
  const e = engineOf([...CLUSTER, cnp("lock", { endpointSelector: {}, ingress: [{}], egress: [{}] })]);
  assert.equal(verdict(e, "ns/a", "ns/a", 80), "allow");
  assert.equal(verdict(e, "ns/a", "ns/b", 80), "deny");
});

test("identities are deterministic: the same cluster gets the same numbers", () => {
  const ids = (docs: unknown[]) =>
    engineOf(docs)
      .endpoints()
      .map((ep) => `${ep.key}=${ep.identity.id}`)
      .sort();
  assert.deepEqual(ids(CLUSTER), ids([...CLUSTER].reverse()));
});

test("E46: an endpoint whose identity is still reserved:init is default deny both ways; only a CCNP selecting reserved:init allows", () => {
  const e = engineOf([
    ...CLUSTER,
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: { name: "init" },
      spec: {
        endpointSelector: { matchLabels: { "reserved:init": "" } },
        egress: [{ toEntities: ["all"], toPorts: [{ ports: [{ port: "53", protocol: "UDP" }] }] }],
      },
    },
  ]);
  const labels = LabelSet.of([{ source: "reserved", key: "init", value: "" }]);
  const subject = { identity: { id: RESERVED.init, labels }, isHost: false, ports: [], localHost: e.localHostOf("n1") };
  const p = resolveEndpoint(
    subject,
    e.entries,
    e.cache,
    { clusterName: "default", dualStack: false, services: [], semantics: "cilium" },
    new NamedPortIndex(),
    DEFAULT_RESOLVE_OPTIONS,
  );
  assert.equal(p.ingress.enforcement.kind, "enforced");
  assert.equal(p.egress.enforcement.kind, "enforced");
  assert.ok(p.egress.map.verdict(RESERVED.world, 17, 53) >= 0, "the CCNP allows DNS");
  assert.ok(p.egress.map.verdict(RESERVED.world, 6, 443) < 0);
  assert.ok(p.ingress.map.verdict(asIdentity(300), 6, 80) < 0);
});

test("§8.5 toFQDNs: an answer opens egress to exactly its IPs; expiry closes it", () => {
  const e = engineOf([
    ...CLUSTER,
    cnp("fqdn", {
      endpointSelector: { matchLabels: { app: "a" } },
      egress: [{ toFQDNs: [{ matchPattern: "*.example.com" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] }],
    }),
  ]);
  assert.equal(verdict(e, "ns/a", "93.184.216.34", 443), "deny");
  const cs = e.learnDnsAnswer("www.example.com", ["93.184.216.34"], 60, 1000);
  assert.ok(
    cs.changes.some((c) => c.endpoint === "ns/a" && c.direction === "egress" && c.upserted.length > 0),
    "the new FQDN identity reaches the map",
  );
  assert.equal(verdict(e, "ns/a", "93.184.216.34", 443), "allow");
  assert.equal(verdict(e, "ns/a", "93.184.216.35", 443), "deny");
  assert.deepEqual(e.dnsNamesOf("93.184.216.34"), ["www.example.com."]);
  e.expireDns(1059);
  assert.equal(verdict(e, "ns/a", "93.184.216.34", 443), "allow");
  e.expireDns(1061);
  assert.equal(verdict(e, "ns/a", "93.184.216.34", 443), "deny");
});

test("§5.4 an FQDN IP inside a policy CIDR carries both labels, so both policies select it", () => {
  const e = engineOf([
    ...CLUSTER,
    cnp("fqdn", {
      endpointSelector: { matchLabels: { app: "a" } },
      egress: [{ toFQDNs: [{ matchName: "x.example" }], toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }] }],
    }),
    cnp("cidr", { endpointSelector: { matchLabels: { app: "b" } }, egress: [{ toCIDR: ["1.2.3.0/24"] }] }),
  ]);
  e.learnDnsAnswer("x.example", ["1.2.3.4"], 60, 0);
  assert.equal(verdict(e, "ns/a", "1.2.3.4", 443), "allow");
  assert.equal(verdict(e, "ns/b", "1.2.3.4", 80), "allow");
});

test("§6.4: different L7 parsers for one selector on one port are an error of that endpoint", () => {
  const e = engineOf([
    ...CLUSTER,
    cnp("http", {
      endpointSelector: { matchLabels: { app: "a" } },
      ingress: [
        {
          fromEndpoints: [{ matchLabels: { app: "b" } }],
          toPorts: [{ ports: [{ port: "9092", protocol: "TCP" }], rules: { http: [{}] } }],
        },
      ],
    }),
    cnp("kafka", {
      endpointSelector: { matchLabels: { app: "a" } },
      ingress: [
        {
          fromEndpoints: [{ matchLabels: { app: "b" } }],
          toPorts: [{ ports: [{ port: "9092", protocol: "TCP" }], rules: { kafka: [{ topic: "t" }] } }],
        },
      ],
    }),
  ]);
  const ep = e.endpoint("ns/a")!;
  assert.equal(e.policyOf(ep).ingress.errors.length, 1);
  assert.match(e.policyOf(ep).ingress.errors[0]!, /cannot merge conflicting L7 parsers \(http, kafka\)/);
  const l7 = e.l7PolicyOf(ep, "ingress", e.endpoint("ns/b")!.identity, 6, 9092);
  assert.equal(l7.kind, "conflict");
});

test("ipcacheRevision changes exactly when ipcacheFrom may: CIDR identities, pods, nodes — not a selector-only policy", () => {
  const e = engineOf(CLUSTER);
  const policy = (doc: unknown) => [...engineOf([...CLUSTER, doc]).policies.values()][0]!;
  const text = (): string => JSON.stringify(e.ipcacheFrom("n1").map((r) => [r.prefix.addr.bytes.join("."), r.prefix.bits, r.identity]));
  let revision = e.ipcacheRevision;
  let before = text();
  const step = (what: string, changes: boolean, change: () => unknown): void => {
    change();
    assert.equal(e.ipcacheRevision !== revision, changes, `${what}: revision`);
    assert.equal(text() !== before, changes, `${what}: content`);
    revision = e.ipcacheRevision;
    before = text();
  };
  step("selector-only policy", false, () =>
    e.upsertPolicy(
      policy(cnp("p", { endpointSelector: { matchLabels: { app: "a" } }, ingress: [{ fromEndpoints: [{ matchLabels: { app: "b" } }] }] })),
    ),
  );
  step("CIDR policy", true, () =>
    e.upsertPolicy(policy(cnp("q", { endpointSelector: { matchLabels: { app: "a" } }, egress: [{ toCIDR: ["192.0.2.0/24"] }] }))),
  );
  const d = [...engineOf([...CLUSTER, pod("ns", "d", { app: "d" }, "10.244.1.13")]).cluster.pods].find((p) => p.name === "d")!;
  step("new pod", true, () => e.upsertPod(d));
  const n2 = engineOf([...CLUSTER, node("n2", "172.18.0.3", "10.244.2.0/24")]).cluster.nodes.find((n) => n.name === "n2")!;
  step("new node", true, () => e.upsertNode(n2));
});

test("§9 + membrane's marks: an L7 denial under a policy in audit mode passes as AUDIT; the agent-wide flag leaves L7 enforced", () => {
  const l7 = (labels: Record<string, string>) => ({
    ...cnp("b-l7", {
      endpointSelector: { matchLabels: { app: "b" } },
      ingress: [
        {
          fromEndpoints: [{ matchLabels: { app: "a" } }],
          toPorts: [{ ports: [{ port: "80", protocol: "TCP" }], rules: { http: [{ method: "GET", path: "/public" }] } }],
        },
      ],
    }),
    metadata: { name: "b-l7", namespace: "ns", labels },
  });
  const cases = {
    apiVersion: "membrane.dev/v1alpha1",
    kind: "ConnectivityTest",
    metadata: { name: "l7-audit" },
    spec: { cases: [{ from: "ns/a", to: "ns/b", port: 80, http: { method: "GET", path: "/private" }, expect: "allow" }] },
  };
  const run = (labels: Record<string, string>, options: EngineOptions = DEFAULT_ENGINE_OPTIONS) => {
    const docs = [...CLUSTER, l7(labels), cases];
    const s = loadScenario(docs.map((d, i) => ({ file: "t.yaml", index: i, pos: { line: 1, column: 1, offset: 0 }, root: fromPlain(d) })));
    return runTests(new Engine(s.cluster, s.policies, options), s.tests)[0]!;
  };
  const audited = run({ "policy.membrane.dev/audit-mode": "enabled" });
  assert.deepEqual([audited.actual, audited.audited], ["allow", true]);
  assert.match(audited.reason.summary, /no HTTP rule matches GET \/private: 403 Access denied — AUDIT/);
  const enforced = run({});
  assert.deepEqual([enforced.actual, enforced.audited], ["deny", false]);
  const agentWide = run({}, { ...DEFAULT_ENGINE_OPTIONS, auditMode: true });
  assert.deepEqual([agentWide.actual, agentWide.audited], ["deny", false]);
});

test("the same policy given again changes nothing; the same policy newly marked for audit changes its entries", () => {
  const policyDoc = (labels: Record<string, string>) => ({
    ...cnp("b-from-a", { endpointSelector: { matchLabels: { app: "b" } }, ingress: [{ fromEndpoints: [{ matchLabels: { app: "a" } }] }] }),
    metadata: { name: "b-from-a", namespace: "ns", labels },
  });
  const load = (labels: Record<string, string>) =>
    loadScenario(
      [...CLUSTER, policyDoc(labels)].map((d, i) => ({
        file: "t.yaml",
        index: i,
        pos: { line: 1, column: 1, offset: 0 },
        root: fromPlain(d),
      })),
    ).policies[0]!;
  const e = engineOf(CLUSTER);
  assert.ok(e.upsertPolicy(load({})).changes.length > 0);
  // Parsed again from the same text: a different object, the same policy.
  assert.deepEqual(e.upsertPolicy(load({})).changes, []);
  const fromC = () => {
    const v = decide(e, {
      from: { kind: "pod", namespace: "ns", name: "c" },
      to: { kind: "pod", namespace: "ns", name: "b" },
      port: 8080,
      protocol: "TCP",
    });
    assert.ok(v.ok);
    return [v.value.verdict, v.value.audited];
  };
  assert.deepEqual(fromC(), ["deny", false]);
  assert.ok(
    e.upsertPolicy(load({ "policy.membrane.dev/audit-mode": "enabled" })).changes.length > 0,
    "an audit mark must reach the kernel",
  );
  assert.deepEqual(fromC(), ["allow", true], "the drop b-from-a causes is audited once the policy is marked");
  e.upsertPolicy(load({}));
  assert.deepEqual(fromC(), ["deny", false], "and enforced again once the mark is gone");
});

test("§9 + membrane's marks: a namespace marked for audit lets its pods' would-be drops pass as AUDIT", () => {
  const policy = cnp("b-from-c", {
    endpointSelector: { matchLabels: { app: "b" } },
    ingress: [{ fromEndpoints: [{ matchLabels: { app: "c" } }] }],
  });
  const cases = {
    apiVersion: "membrane.dev/v1alpha1",
    kind: "ConnectivityTest",
    metadata: { name: "ns-audit" },
    spec: { cases: [{ from: "ns/a", to: "ns/b", port: 80, expect: "deny" }] },
  };
  const run = (labels: Record<string, string>) => {
    const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "ns", labels } };
    const docs = [namespace, ...CLUSTER, policy, cases];
    const s = loadScenario(docs.map((d, i) => ({ file: "t.yaml", index: i, pos: { line: 1, column: 1, offset: 0 }, root: fromPlain(d) })));
    return runTests(new Engine(s.cluster, s.policies), s.tests)[0]!;
  };
  const marked = run({ "policy.membrane.dev/audit-mode": "enabled" });
  assert.deepEqual([marked.actual, marked.audited], ["allow", true]);
  const unmarked = run({});
  assert.deepEqual([unmarked.actual, unmarked.audited], ["deny", false]);
});
